#!/usr/bin/python3
"""Issues a test certificate for a real TPM key (an EK, or an AK) from a throwaway CA.

  make_tpm_cert.py PUB_PEM CA_OUT_PEM CERT_OUT_DER [--expired] [--cn NAME]

The CA is self-signed (a "manufacturer" or cloud platform root). Without --cn the certificate
has the TCG EK shape that matters to a verifier (the key, an empty subject, a TPM directoryName
SAN, the TCG EK certificate EKU); with --cn NAME it is an AK certificate whose subject CN is the
host id the platform vouches for. With --expired both the CA and the certificate validity ended
in 2021: an expired chain.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier


def main():
    pub_pem, ca_out, cert_out = sys.argv[1:4]
    options = sys.argv[4:]
    expired = "--expired" in options
    cn = options[options.index("--cn") + 1] if "--cn" in options else None
    key = serialization.load_pem_public_key(open(pub_pem, "rb").read())
    if expired:
        start = datetime.datetime(2019, 1, 1)
        end = datetime.datetime(2021, 1, 1)
    else:
        start = datetime.datetime.utcnow() - datetime.timedelta(days=1)
        end = start + datetime.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bootgate test TPM maker"),
                         x509.NameAttribute(NameOID.COMMON_NAME,
                                            # distinct names: chains are built by name
                                            os.path.basename(ca_out).removesuffix(".pem"))])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().issuer_name(ca_name)
            .public_key(key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    if cn:
        leaf = leaf.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
    else:
        leaf = (leaf.subject_name(x509.Name([]))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DirectoryName(x509.Name([x509.NameAttribute(
                        ObjectIdentifier("2.23.133.2.1"), "id:00001014")]))]), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ObjectIdentifier("2.23.133.8.1")]),
                               critical=False))
    leaf = leaf.sign(ca_key, hashes.SHA256())
    open(ca_out, "wb").write(ca.public_bytes(serialization.Encoding.PEM))
    open(cert_out, "wb").write(leaf.public_bytes(serialization.Encoding.DER))


if __name__ == "__main__":
    main()
