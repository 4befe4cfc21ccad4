#!/usr/bin/env bash
# Makes the Secure Boot test certificates that the fixture scenarios put in PK, KEK, db, MokList
# and image-authority events. Run once; the outputs are checked in, because key generation and
# ECDSA/RSA-PSS signing are randomized and the fixtures must be byte-for-byte reproducible.
# Private keys are not kept: no fixture signs anything, the certificates only need to exist.
#
#   name                     role
#   pk                       platform key (bare-metal profile)
#   kek                      KEK of the "bootgate test" OEM
#   db-uefi-ca               db: third-party UEFI CA that signs shim (like Microsoft UEFI CA 2011)
#   db-os-ca                 db: an OS vendor CA
#   shim-vendor              the distribution CA built into shim, verifies grub and the kernel
#   untrusted                a CA nobody should trust (db-extra-cert, image-authority-not-in-db)
#   ms-like-pk / ms-like-kek / ms-like-windows-pca / ms-like-uefi-ca   VM profile (OVMF with
#                            Microsoft-like keys, as Trusted Launch VMs ship)
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

make_cert() {  # name subject-CN days
  local name="$1" cn="$2"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/$name.key" -sha256 -days 7300 \
    -subj "/O=bootgate test/CN=$cn" -set_serial "0x$(openssl rand -hex 8)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -outform DER -out "$name.der" 2>/dev/null
}

make_cert pk "bootgate Test Platform Key"
make_cert kek "bootgate Test KEK CA"
make_cert db-uefi-ca "bootgate Test UEFI CA (third-party, signs shim)"
make_cert db-os-ca "bootgate Test OS Vendor CA"
make_cert shim-vendor "bootgate Test Distribution Secure Boot CA"
make_cert untrusted "Untrusted Rogue CA"
make_cert ms-like-pk "bootgate Test Hyper-V-like Platform Key"
make_cert ms-like-kek "bootgate Test Microsoft-like Corporation KEK CA 2011"
make_cert ms-like-windows-pca "bootgate Test Microsoft-like Windows Production PCA 2011"
make_cert ms-like-uefi-ca "bootgate Test Microsoft-like Corporation UEFI CA 2011"
echo "made: $(ls ./*.der | tr '\n' ' ')"
