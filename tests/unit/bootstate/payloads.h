// Test-only payloads for the bootstate tests (UEFI variables, signature lists, image load
// events, firmware blobs), built on the eventlog_decode test builders. Kept apart from
// boot_log.h because the two eventlog test headers cannot share a translation unit.
#ifndef BOOTGATE_TESTS_UNIT_BOOTSTATE_PAYLOADS_H_
#define BOOTGATE_TESTS_UNIT_BOOTSTATE_PAYLOADS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bootgate::bootstate::testing {

using Bytes = std::vector<uint8_t>;

Bytes Text(std::string_view text, bool nul = true);
Bytes GlobalVar(const std::string& name, const Bytes& data);      // EFI global variable
Bytes SecurityDbVar(const std::string& name, const Bytes& data);  // image security database
Bytes ShimVar(const std::string& name, const Bytes& data);        // shim lock GUID
Bytes CertLists(const std::vector<Bytes>& certs);  // one EFI_CERT_X509 list per certificate
Bytes HashList(const std::vector<Bytes>& hashes);  // one EFI_CERT_SHA256 list
const Bytes& Certificate(const std::string& cn);   // same DER for the same CN in one run
Bytes OwnedCert(const Bytes& der);                 // EFI_SIGNATURE_DATA: owner GUID + DER
Bytes ImagePath(const std::string& path);          // UEFI_IMAGE_LOAD_EVENT with a File() node
Bytes ImageFromMemory();  // UEFI_IMAGE_LOAD_EVENT with a zero-length device path (grub's kernel)
Bytes Blob2(const std::string& description, uint64_t base, uint64_t length);
std::string Sha256Hex(const Bytes& data);
extern const std::string kOwnerGuid;  // owner GUID used by CertLists/OwnedCert

}  // namespace bootgate::bootstate::testing

#endif  // BOOTGATE_TESTS_UNIT_BOOTSTATE_PAYLOADS_H_
