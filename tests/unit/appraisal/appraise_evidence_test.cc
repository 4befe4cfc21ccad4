// AppraiseEvidence end to end on swtpm-fixtures bundles checked in under tests/data/appraisal
// (real swtpm quotes and logs), with the fixtures' policies from policies/fixtures; and
// LearnPolicy (cli/baseline_learn.cc) on the same evidence.
#include "verifier/appraisal/appraise_evidence.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/baseline_learn.h"
#include "nlohmann/json.hpp"
#include "verifier/bytes/hex.h"
#include "verifier/eventlog/parse.h"
#include "verifier/policy/load.h"
#include "verifier/tpm/ak_public.h"

namespace bootgate::appraisal {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1770000000);  // 2026-02-02

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// One scenario's bundle, owned: Evidence() borrows from it.
struct Bundle {
  explicit Bundle(const std::string& scenario) {
    const std::string dir =
        std::string(BOOTGATE_SOURCE_DIR) + "/tests/data/appraisal/" + scenario + "/";
    message = ReadBytes(dir + "quote.msg");
    signature = ReadBytes(dir + "quote.sig");
    log = ReadBytes(dir + "eventlog.bin");
    pcrs = ReadBytes(dir + "quote.pcrs");
    absl::StatusOr<tpm::AkPublic> parsed = tpm::ParseAkPublic(ReadBytes(dir + "ak.pub"));
    REQUIRE(parsed.ok());
    ak = *std::move(parsed);
    const std::vector<uint8_t> meta_bytes = ReadBytes(dir + "meta.json");
    const nlohmann::json meta = nlohmann::json::parse(meta_bytes.begin(), meta_bytes.end());
    host = meta.at("host_id").get<std::string>();
    absl::StatusOr<std::vector<uint8_t>> n = bytes::FromHex(meta.at("nonce").get<std::string>());
    REQUIRE(n.ok());
    nonce = *n;
  }
  appraisal::Evidence Evidence() const {
    appraisal::Evidence e;
    e.message = message;
    e.signature = signature;
    e.ak = ak.key.get();
    e.event_log = std::span<const uint8_t>(log);
    e.pcr_file = std::span<const uint8_t>(pcrs);
    return e;
  }
  std::vector<uint8_t> message, signature, log, pcrs, nonce;
  tpm::AkPublic ak;
  std::string host;
};

v1::Policy FixturePolicy(const std::string& name) {
  const std::string path =
      std::string(BOOTGATE_SOURCE_DIR) + "/policies/fixtures/" + name + ".textproto";
  const std::vector<uint8_t> text = ReadBytes(path);
  absl::StatusOr<v1::Policy> p = policy::LoadPolicy(std::string(text.begin(), text.end()),
                                                    policy::PolicyFormat::kTextproto, path);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

Appraisal Appraise(const Bundle& b, const appraisal::Evidence& e, const v1::Policy& p) {
  absl::StatusOr<Appraisal> a = AppraiseEvidence(e, b.nonce, p, b.host, kNow);
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  return *a;
}

std::vector<std::string> Codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const Finding& f : a.findings) out.push_back(f.code);
  return out;
}

// The single evidence finding of a rejected appraisal.
void RequireRejected(const Appraisal& a, const std::string& code) {
  INFO(::Catch::Detail::stringify(Codes(a)));
  CHECK(a.tier == Tier::kContraindicated);
  CHECK_FALSE(a.placement_eligible);
  REQUIRE(a.findings.size() >= 1);
  CHECK(a.findings[0].code == code);
  CHECK(a.findings[0].layer == Layer::kEvidence);
  CHECK(a.findings[0].severity == Severity::kContraindicated);
}

TEST_CASE("good-host evidence with its policy is affirming and eligible", "[appraisal]") {
  const Bundle b("good-host");
  const Appraisal a = Appraise(b, b.Evidence(), FixturePolicy("good-host"));
  INFO(::Catch::Detail::stringify(Codes(a)));
  CHECK(a.findings.empty());
  CHECK(a.tier == Tier::kAffirming);
  CHECK(a.placement_eligible);
  CHECK(a.policy_name == "fixtures-good-host");
  CHECK(a.group == "good-host");
  CHECK(a.expires == kNow + absl::Seconds(3600));
}

TEST_CASE("hypervisor-host evidence: xen and dom0 pinned by grub's PCR 9 files affirm",
          "[appraisal]") {
  const Bundle b("hypervisor-host");
  const Appraisal a = Appraise(b, b.Evidence(), FixturePolicy("hypervisor-host"));
  INFO(::Catch::Detail::stringify(Codes(a)));
  CHECK(a.findings.empty());
  CHECK(a.tier == Tier::kAffirming);
  CHECK(a.placement_eligible);
}

TEST_CASE("hypervisor-host evidence: an unknown xen is hypervisor-not-allowed at PCR 9 event 33",
          "[appraisal]") {
  const Bundle b("hypervisor-host");
  v1::Policy p = FixturePolicy("hypervisor-host");
  p.mutable_groups(0)->mutable_kernel()->mutable_multiboot()->mutable_hypervisor(0)->set_sha256(
      std::string(64, 'a'));
  const Appraisal a = Appraise(b, b.Evidence(), p);
  REQUIRE(a.findings.size() == 1);
  const Finding& f = a.findings[0];
  CHECK(f.code == "hypervisor-not-allowed");
  CHECK(f.layer == Layer::kKernel);
  CHECK(f.pcr == 9u);
  CHECK(f.event_index == 33u);
  CHECK(f.seen.find("xen-4.17-amd64.gz") != std::string::npos);
  CHECK(a.tier == Tier::kContraindicated);
}

TEST_CASE("hypervisor-host evidence against the good-host policy: host has no group",
          "[appraisal]") {
  const Bundle b("hypervisor-host");
  const Appraisal a = Appraise(b, b.Evidence(), FixturePolicy("good-host"));
  REQUIRE(a.findings.size() == 1);
  CHECK(a.findings[0].code == "no-policy-for-host");
  CHECK_FALSE(a.placement_eligible);
}

TEST_CASE("a signature that does not verify is bad-signature", "[appraisal]") {
  const Bundle b("good-host");
  std::vector<uint8_t> sig = b.signature;
  sig.back() ^= 0x01;
  appraisal::Evidence e = b.Evidence();
  e.signature = sig;
  RequireRejected(Appraise(b, e, FixturePolicy("good-host")), "bad-signature");
}

TEST_CASE("a quote for another nonce is nonce-mismatch", "[appraisal]") {
  const Bundle b("good-host");
  std::vector<uint8_t> other = b.nonce;
  other[0] ^= 0xff;
  absl::StatusOr<Appraisal> a =
      AppraiseEvidence(b.Evidence(), other, FixturePolicy("good-host"), b.host, kNow);
  REQUIRE(a.ok());
  RequireRejected(*a, "nonce-mismatch");
}

TEST_CASE("a missing event log is no-event-log", "[appraisal]") {
  const Bundle b("good-host");
  appraisal::Evidence e = b.Evidence();
  e.event_log.reset();
  const Appraisal a = Appraise(b, e, FixturePolicy("good-host"));
  RequireRejected(a, "no-event-log");
  CHECK(a.findings[0].message.find("no event log") != std::string::npos);
}

TEST_CASE("a log event digest changed is a replay mismatch naming the PCR", "[appraisal]") {
  const Bundle b("good-host");
  absl::StatusOr<eventlog::EventLog> log = eventlog::ParseEventLog(b.log);
  REQUIRE(log.ok());
  // The sha256 digest of the grub image event (PCR 4): find its bytes in the log and flip one.
  const eventlog::Event* grub = nullptr;
  for (const eventlog::Event& ev : log->events) {
    if (ev.pcr == 4 && ev.index == 28) grub = &ev;
  }
  REQUIRE(grub != nullptr);
  const eventlog::LoggedDigest* d = nullptr;
  for (const eventlog::EventDigest& ed : grub->digests) {
    if (ed.alg == crypto::HashAlg::kSha256) d = &ed.digest;
  }
  REQUIRE(d != nullptr);
  std::vector<uint8_t> forged = b.log;
  auto at = std::search(forged.begin() + grub->offset, forged.end(), d->begin(), d->end());
  REQUIRE(at != forged.end());
  *at ^= 0x01;
  appraisal::Evidence e = b.Evidence();
  e.event_log = std::span<const uint8_t>(forged);

  SECTION("with the quote's PCR file: log-replay-mismatch on PCR 4") {
    const Appraisal a = Appraise(b, e, FixturePolicy("good-host"));
    RequireRejected(a, "log-replay-mismatch");
    CHECK(a.findings[0].pcr == 4u);
  }
  SECTION("without it: the replayed PCRs do not hash to the quote's digest") {
    e.pcr_file.reset();
    RequireRejected(Appraise(b, e, FixturePolicy("good-host")), "pcr-digest-mismatch");
  }
}

TEST_CASE("malformed evidence bytes are an error status, not a verdict", "[appraisal]") {
  const Bundle b("good-host");
  const v1::Policy p = FixturePolicy("good-host");
  SECTION("every truncation of the quote message") {
    for (size_t size = 0; size < b.message.size(); ++size) {
      appraisal::Evidence e = b.Evidence();
      e.message = std::span<const uint8_t>(b.message.data(), size);
      absl::StatusOr<Appraisal> a = AppraiseEvidence(e, b.nonce, p, b.host, kNow);
      INFO("size " << size);
      CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
  SECTION("truncated event logs never affirm") {
    for (size_t size : {size_t{0}, size_t{1}, size_t{31}, b.log.size() / 2, b.log.size() - 1}) {
      appraisal::Evidence e = b.Evidence();
      e.event_log = std::span<const uint8_t>(b.log.data(), size);
      absl::StatusOr<Appraisal> a = AppraiseEvidence(e, b.nonce, p, b.host, kNow);
      INFO("size " << size << ": " << a.status().ToString());
      if (a.ok()) {
        CHECK_FALSE(a->placement_eligible);
      } else {
        CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
      }
    }
  }
  SECTION("an empty expected nonce") {
    absl::StatusOr<Appraisal> a = AppraiseEvidence(b.Evidence(), {}, p, b.host, kNow);
    CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("LearnPolicy on verified evidence gives a policy the same evidence affirms",
          "[appraisal]") {
  for (const std::string scenario : {"good-host", "hypervisor-host"}) {
    INFO(scenario);
    const Bundle b(scenario);
    absl::StatusOr<VerifiedEvidence> v = VerifyEvidence(b.Evidence(), b.nonce);
    REQUIRE(v.ok());
    REQUIRE(v->rejections.empty());
    REQUIRE(v->quote.has_value());
    const v1::Policy learned = cli::LearnPolicy(
        v->boot.state, v->quote->quote.pcr_selection,
        {.policy_name = "learned", .version = "1", .group = "g", .host_id = b.host});
    const Appraisal a = Appraise(b, b.Evidence(), learned);
    INFO(::Catch::Detail::stringify(Codes(a)));
    CHECK(a.tier == Tier::kAffirming);
    const v1::KernelBaseline& k = learned.groups(0).kernel();
    if (scenario == "hypervisor-host") {
      CHECK(k.allowed().empty());
      REQUIRE(k.multiboot().hypervisor_size() == 1);
      CHECK(k.multiboot().hypervisor(0).name() == "xen-4.17-amd64.gz");
      REQUIRE(k.multiboot().dom0_kernel_size() == 1);
      CHECK(k.multiboot().dom0_kernel(0).name() == "vmlinuz-6.1.0-18-amd64");
      REQUIRE(k.multiboot().modules_size() == 1);
      CHECK(k.multiboot().modules(0).name() == "initrd.img-6.1.0-18-amd64");
    } else {
      CHECK(k.allowed_size() == 1);
      CHECK_FALSE(k.has_multiboot());
    }
  }
}

}  // namespace
}  // namespace bootgate::appraisal
