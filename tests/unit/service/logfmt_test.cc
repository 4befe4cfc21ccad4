// The one escaper of bootgated's log lines (server/bootgated/logfmt.h), with expectations from
// the logfmt convention: bare values stay bare, anything that could end a line or start a field
// is quoted and escaped.
#include "server/bootgated/logfmt.h"

#include <catch2/catch.hpp>
#include <string>

namespace bootgate::service {
namespace {

TEST_CASE("logfmt leaves plain values bare", "[logfmt]") {
  CHECK(LogfmtValue("web-1") == "web-1");
  CHECK(LogfmtValue("Placement.Get") == "Placement.Get");
  CHECK(LogfmtValue("3.125") == "3.125");
  CHECK(LogfmtValue("a/b:c,d[e]") == "a/b:c,d[e]");
}

TEST_CASE("logfmt quotes the empty value and values with space, = or quote", "[logfmt]") {
  CHECK(LogfmtValue("") == "\"\"");
  CHECK(LogfmtValue("role agent may not") == "\"role agent may not\"");
  CHECK(LogfmtValue("a=b") == "\"a=b\"");
  CHECK(LogfmtValue("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(LogfmtValue("back\\slash") == "\"back\\\\slash\"");
}

TEST_CASE("logfmt escapes newline, CR, tab and every other non-printable byte", "[logfmt]") {
  CHECK(LogfmtValue("a\nb") == "\"a\\nb\"");
  CHECK(LogfmtValue("a\rb") == "\"a\\rb\"");
  CHECK(LogfmtValue("a\tb") == "\"a\\tb\"");
  CHECK(LogfmtValue(std::string("a\0b", 3)) == "\"a\\x00b\"");
  CHECK(LogfmtValue("\x1b[31m") == "\"\\x1b[31m\"");
  CHECK(LogfmtValue("\x7f") == "\"\\x7f\"");
  CHECK(LogfmtValue("caf\xc3\xa9") == "\"caf\\xc3\\xa9\"");
  CHECK(LogfmtValue("\xff") == "\"\\xff\"");
}

TEST_CASE("no byte of any value can end the line or open a field of its own", "[logfmt]") {
  for (int b = 0; b < 256; ++b) {
    const std::string raw = std::string("x") + static_cast<char>(b) + " y=z";
    const std::string value = LogfmtValue(raw);
    INFO("byte " << b << ": " << value);
    CHECK(value.find('\n') == std::string::npos);
    CHECK(value.find('\r') == std::string::npos);
    for (unsigned char c : value) CHECK((c >= ' ' && c < 0x7f));
    // Quoted, and every quote inside is escaped: the value is one field.
    REQUIRE(value.size() >= 2);
    CHECK(value.front() == '"');
    CHECK(value.back() == '"');
    for (size_t i = 1; i + 1 < value.size(); ++i) {
      if (value[i] == '\\') {
        ++i;  // the escaped byte
      } else {
        CHECK(value[i] != '"');
      }
    }
  }
}

TEST_CASE("a forged line inside a value stays in its field", "[logfmt]") {
  const std::string cn = "host-a\nts=2026-01-01T00:00:00.000Z event=started grpc_port=1";
  const std::string line =
      LogfmtLine({{"event", "denied"}, {"caller", cn}, {"role", "agent"}, {"msg", "no"}});
  CHECK(line ==
        "event=denied caller=\"host-a\\nts=2026-01-01T00:00:00.000Z event=started grpc_port=1\" "
        "role=agent msg=no");
}

TEST_CASE("logfmt keys keep only name bytes", "[logfmt]") {
  CHECK(LogfmtKey("latency_ms") == "latency_ms");
  CHECK(LogfmtKey("a b=c\n") == "a_b_c_");
  CHECK(LogfmtKey("") == "_");
  CHECK(LogfmtLine({}) == "");
  CHECK(LogfmtLine({{"k", "v"}}) == "k=v");
}

}  // namespace
}  // namespace bootgate::service
