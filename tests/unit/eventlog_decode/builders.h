// Hand-made payloads for the decoder tests: little-endian writers, UTF-16, UEFI structures,
// events with digests computed over chosen bytes, and a throwaway X.509 certificate.
#ifndef BOOTGATE_TESTS_UNIT_EVENTLOG_DECODE_BUILDERS_H_
#define BOOTGATE_TESTS_UNIT_EVENTLOG_DECODE_BUILDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "verifier/eventlog/event.h"
#include "verifier/eventlog/guid.h"

namespace bootgate::eventlog::testing {

using Bytes = std::vector<uint8_t>;

class Builder {
 public:
  Builder& U8(uint8_t v);
  Builder& U16(uint16_t v);
  Builder& U32(uint32_t v);
  Builder& U64(uint64_t v);
  Builder& Raw(const Bytes& b);
  Builder& Str(const std::string& s);  // bytes of s, no NUL
  Builder& Utf16(const std::string& ascii, bool nul = true);
  Builder& GuidBytes(const Guid& g);
  Bytes Build() const { return out_; }

 private:
  Bytes out_;
};

Guid G(const char* text);  // GuidFromString that must succeed

Bytes UefiVariableData(const Guid& vendor, const std::string& name, const Bytes& data);
Bytes SignatureList(const Guid& type, const Guid& owner, const std::vector<Bytes>& entries);
// UEFI device path nodes.
Bytes Node(uint8_t type, uint8_t subtype, const Bytes& body);
Bytes EndNode();
Bytes ImageLoad(uint64_t location, uint64_t length, uint64_t link, const Bytes& device_path);

// An event with SHA-1 and SHA-256 digests of `measured`.
Event MakeEvent(uint32_t pcr, uint32_t type, const Bytes& data, const Bytes& measured);
// Same, measured == data.
Event MakeEvent(uint32_t pcr, uint32_t type, const Bytes& data);

// A self-signed P-256 certificate (DER) with subject CN=`cn`.
Bytes MakeCertificate(const std::string& cn);

}  // namespace bootgate::eventlog::testing

#endif  // BOOTGATE_TESTS_UNIT_EVENTLOG_DECODE_BUILDERS_H_
