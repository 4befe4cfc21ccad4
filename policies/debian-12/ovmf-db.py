#!/usr/bin/env python3
"""Lists the X.509 certificates of the Secure Boot db stored in an OVMF variable file.

    ovmf-db.py /usr/share/OVMF/OVMF_VARS_4M.ms.fd
    -> one line per certificate: "<sha256 of the DER> <subject>"

The file is EDK2's authenticated variable store: variable headers (StartId 0x55AA, State,
Attributes, MonotonicCount, TimeStamp, PubKeyIndex, NameSize, DataSize, VendorGuid), then the
UTF-16 name, then the data. Only a variable in state VAR_ADDED (0x3F) counts. db's data is a
list of EFI_SIGNATURE_LISTs (UEFI 2.x, 32.4.1); X.509 entries are EFI_CERT_X509_GUID lists,
each EFI_SIGNATURE_DATA being a 16-byte owner GUID followed by the DER certificate. What
firmware measures into PCR 7 is this same db, so these fingerprints are what a policy pins.
"""
import hashlib
import struct
import sys
import uuid

from cryptography import x509

HEADER = struct.Struct("<HBBIQ16sIII16s")  # AUTHENTICATED_VARIABLE_HEADER, 60 bytes
VAR_ADDED = 0x3F
IMAGE_SECURITY_DATABASE = uuid.UUID("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
CERT_X509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
SIGNATURE_LIST = struct.Struct("<16sIII")  # SignatureType, ListSize, HeaderSize, SignatureSize


def find_variable(store: bytes, name: str, vendor: uuid.UUID) -> bytes:
    found = []
    at = store.find(b"\xaa\x55")
    while 0 <= at <= len(store) - HEADER.size:
        _, state, _, _, _, _, _, name_size, data_size, guid = HEADER.unpack_from(store, at)
        body = at + HEADER.size
        if (state == VAR_ADDED and 0 < name_size <= 512 and name_size % 2 == 0
                and body + name_size + data_size <= len(store)
                and uuid.UUID(bytes_le=guid) == vendor
                and store[body:body + name_size].decode("utf-16-le", "replace") == name + "\0"):
            found.append(store[body + name_size:body + name_size + data_size])
        at = store.find(b"\xaa\x55", at + 2)
    if len(found) != 1:
        sys.exit(f"ovmf-db: {len(found)} valid '{name}' variables in the store, want exactly 1")
    return found[0]


def x509_entries(lists: bytes):
    at = 0
    while at < len(lists):
        if len(lists) - at < SIGNATURE_LIST.size:
            sys.exit(f"ovmf-db: truncated EFI_SIGNATURE_LIST at offset {at}")
        kind, list_size, header_size, entry_size = SIGNATURE_LIST.unpack_from(lists, at)
        body = at + SIGNATURE_LIST.size + header_size
        end = at + list_size
        if list_size < SIGNATURE_LIST.size or end > len(lists) or entry_size <= 16 or body > end:
            sys.exit(f"ovmf-db: malformed EFI_SIGNATURE_LIST at offset {at}")
        if uuid.UUID(bytes_le=kind) == CERT_X509:
            for entry in range(body, end - entry_size + 1, entry_size):
                yield lists[entry + 16:entry + entry_size]  # after the owner GUID
        at = end


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: ovmf-db.py OVMF_VARS.fd")
    with open(sys.argv[1], "rb") as f:
        store = f.read()
    db = find_variable(store, "db", IMAGE_SECURITY_DATABASE)
    for der in x509_entries(db):
        subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
        print(hashlib.sha256(der).hexdigest(), subject)


if __name__ == "__main__":
    main()
