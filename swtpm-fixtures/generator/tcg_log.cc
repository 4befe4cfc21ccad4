#include "swtpm-fixtures/generator/tcg_log.h"

namespace bootgate::fixtures {

Bytes SpecIdEvent(std::span<const crypto::HashAlg> banks) {
  ByteSink spec;
  spec.Ascii(std::string_view("Spec ID Event03\0", 16));
  spec.U32(0);  // platformClass: client
  spec.U8(0);   // specVersionMinor
  spec.U8(2);   // specVersionMajor
  spec.U8(2);   // specErrata
  spec.U8(2);   // uintnSize: UINT64
  spec.U32(static_cast<uint32_t>(banks.size()));
  for (crypto::HashAlg alg : banks) {
    spec.U16(static_cast<uint16_t>(alg));
    spec.U16(static_cast<uint16_t>(crypto::DigestSize(alg)));
  }
  spec.U8(0);  // vendorInfoSize

  ByteSink ev;
  ev.U32(0);
  ev.U32(kEvNoAction);
  ev.Zeros(20);
  ev.U32(static_cast<uint32_t>(spec.size()));
  ev.Append(spec.bytes());
  return ev.Take();
}

Bytes StartupLocalityData(uint8_t locality) {
  ByteSink s;
  s.Ascii(std::string_view("StartupLocality\0", 16));
  s.U8(locality);
  return s.Take();
}

Bytes PcrEvent2(std::span<const crypto::HashAlg> banks, const LoggedEvent& event) {
  ByteSink ev;
  ev.U32(event.pcr);
  ev.U32(event.type);
  ev.U32(static_cast<uint32_t>(banks.size()));
  for (size_t i = 0; i < banks.size(); ++i) {
    ev.U16(static_cast<uint16_t>(banks[i]));
    if (i < event.digests.size()) {
      ev.Append(event.digests[i]);
    } else {
      ev.Zeros(crypto::DigestSize(banks[i]));
    }
  }
  ev.U32(static_cast<uint32_t>(event.data.size()));
  ev.Append(event.data);
  return ev.Take();
}

Bytes SerializeLog(std::span<const crypto::HashAlg> banks, std::span<const LoggedEvent> events) {
  ByteSink log;
  log.Append(SpecIdEvent(banks));
  for (const LoggedEvent& e : events) log.Append(PcrEvent2(banks, e));
  return log.Take();
}

}  // namespace bootgate::fixtures
