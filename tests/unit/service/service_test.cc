// The plain handlers of bootgated, without a network: config defaults and the loopback/TLS
// rule, Attest on attributable but malformed evidence, the one attestation id (verdict, JWT
// claim, History.Get), DryRun's hosts without evidence, and the token key file.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "server/base64url.h"
#include "server/bootgated/access.h"
#include "server/bootgated/attestation_service.h"
#include "server/bootgated/config.h"
#include "server/bootgated/convert.h"
#include "server/bootgated/history_service.h"
#include "server/bootgated/policy_service.h"
#include "server/bootgated/service_context.h"
#include "server/bootgated/token_key_file.h"
#include "verifier/crypto/openssl_ptr.h"

namespace bootgate::service {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "bootgate-service-test.XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

// A P-256 public key in PEM: a valid AK for registration (no quote it signs is needed here).
std::string AkPem() {
  EVP_PKEY* raw = EVP_EC_gen("P-256");
  REQUIRE(raw != nullptr);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PUBKEY(bio.get(), key.get()) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// A ServiceContext like Bootgated::Start's, on SQLite in `dir`, with no gRPC server.
std::unique_ptr<ServiceContext> MakeContext(const std::string& dir) {
  auto ctx = std::make_unique<ServiceContext>();
  v1::ServerConfig config;
  config.set_data_dir(dir);
  ctx->config = WithDefaults(config);
  auto store = server::store::OpenStore(StoreUrl(ctx->config));
  REQUIRE(store.ok());
  ctx->store = *std::move(store);
  auto tokens =
      server::TokenService::Create({1, std::vector<uint8_t>(32, 0x5a)}, {}, absl::Minutes(5));
  REQUIRE(tokens.ok());
  ctx->tokens = std::make_unique<server::TokenService>(*std::move(tokens));
  auto keys = server::LoadOrCreateKeySet(dir + "/signing");
  REQUIRE(keys.ok());
  ctx->signing_keys = std::make_unique<server::KeySet>(*std::move(keys));
  auto policy = std::make_shared<ActivePolicy>();
  policy->policy.set_name("test-policy");
  policy->policy.set_version("1");
  policy->stored_at = absl::Now();
  ctx->policies = std::make_unique<PolicyHolder>(ctx->store.get(), policy);
  ctx->metrics = std::make_unique<Metrics>();
  ctx->placement = std::make_unique<PlacementHub>(ctx->store.get(), ctx->policies.get());
  return ctx;
}

void Register(ServiceContext& ctx, const std::string& host, const std::string& group = "rack-1") {
  server::store::Host h;
  h.host_id = host;
  h.group = group;
  h.ak_public = AkPem();
  REQUIRE(ctx.store->RegisterHost(h, false).ok());
}

nlohmann::json JwtClaims(const std::string& jwt) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  REQUIRE(parts.size() == 3);
  auto payload = server::Base64UrlDecode(parts[1]);
  REQUIRE(payload.ok());
  return nlohmann::json::parse(std::string(payload->begin(), payload->end()));
}

TEST_CASE("config defaults listen on loopback with SQLite in the data dir", "[service]") {
  const v1::ServerConfig c = WithDefaults(v1::ServerConfig());
  CHECK(c.listen_address() == "127.0.0.1:7443");
  CHECK(c.http_address() == "127.0.0.1:7480");
  CHECK(StoreUrl(c).rfind("sqlite://", 0) == 0);
  CHECK(StoreUrl(c).find(c.data_dir()) != std::string::npos);
  CHECK(ToDuration(c.tokens().ttl()) == absl::Minutes(5));
  CHECK(c.limits().max_event_log_bytes() > 0);
  CHECK(CheckListenSecurity(c).ok());
}

TEST_CASE("a non-loopback address needs TLS", "[service]") {
  CHECK(IsLoopbackAddress("127.0.0.1:1"));
  CHECK(IsLoopbackAddress("127.3.2.1:80"));
  CHECK(IsLoopbackAddress("[::1]:7443"));
  CHECK(IsLoopbackAddress("localhost:7443"));
  CHECK_FALSE(IsLoopbackAddress("0.0.0.0:7443"));
  CHECK_FALSE(IsLoopbackAddress("10.0.0.1:7443"));
  CHECK_FALSE(IsLoopbackAddress("[::]:7443"));
  CHECK_FALSE(IsLoopbackAddress("127.example.com:7443"));
  v1::ServerConfig c = WithDefaults(v1::ServerConfig());
  c.set_listen_address("0.0.0.0:7443");
  CHECK(absl::IsFailedPrecondition(CheckListenSecurity(c)));
  c.set_listen_address("127.0.0.1:7443");
  c.set_http_address("0.0.0.0:7480");
  CHECK(absl::IsFailedPrecondition(CheckListenSecurity(c)));
  c.mutable_tls()->set_cert_file("/etc/bootgate/cert.pem");
  c.mutable_tls()->set_key_file("/etc/bootgate/key.pem");
  // TLS identifies callers by client certificates: the client CA is not optional.
  CHECK(absl::IsFailedPrecondition(CheckListenSecurity(c)));
  c.mutable_tls()->set_client_ca_file("/etc/bootgate/clients.pem");
  // The JWKS/metrics endpoint is plain HTTP: loopback only, with or without TLS for gRPC.
  CHECK(absl::IsFailedPrecondition(CheckListenSecurity(c)));
  c.set_http_address("127.0.0.1:7480");
  CHECK(CheckListenSecurity(c).ok());
  c.set_listen_address("0.0.0.0:7443");
  CHECK(CheckListenSecurity(c).ok());
}

TEST_CASE("no configuration can skip EK certificate validation", "[service]") {
  // A trap other verifiers fell into: an "insecure"/"skip" switch that ends up in production
  // configs. Nothing in ServerConfig may turn the EK chain check off.
  std::vector<const google::protobuf::Descriptor*> pending = {v1::ServerConfig::descriptor()};
  std::set<const google::protobuf::Descriptor*> seen;
  while (!pending.empty()) {
    const google::protobuf::Descriptor* d = pending.back();
    pending.pop_back();
    if (!seen.insert(d).second) continue;
    for (int i = 0; i < d->field_count(); ++i) {
      const std::string name = d->field(i)->name();
      INFO(d->full_name() << "." << name);
      for (const char* word : {"skip", "insecure", "no_verify", "allow_untrusted", "disable"}) {
        CHECK(name.find(word) == std::string::npos);
      }
      if (d->field(i)->message_type() != nullptr) pending.push_back(d->field(i)->message_type());
    }
  }
  CHECK(seen.count(v1::EnrollmentConfig::descriptor()) == 1);
}

TEST_CASE("roles: agents act only for their own host, admins administer, nobody else",
          "[service]") {
  const Caller local;
  const Caller agent{"host-a", Role::kAgent, false};
  const Caller placement{"scheduler", Role::kPlacement, false};
  const Caller op{"alice", Role::kOperator, false};
  const Caller admin{"root-ops", Role::kAdmin, false};
  for (Permission p : {Permission::kAttest, Permission::kEnroll, Permission::kAdminister,
                       Permission::kOperate, Permission::kListHosts}) {
    CHECK(WhyDenied(local, p, "M", "host-b").empty());
  }
  CHECK(WhyDenied(agent, Permission::kAttest, "Attest", "host-a").empty());
  CHECK(WhyDenied(agent, Permission::kEnroll, "Enrollment.Start", "host-a").empty());
  CHECK(WhyDenied(agent, Permission::kReadPlacement, "Placement.Get", "host-a").empty());
  CHECK(WhyDenied(agent, Permission::kAttest, "Attest", "host-b") ==
        "agent \"host-a\" may call Attest only for its own host, not for \"host-b\"");
  CHECK_FALSE(WhyDenied(agent, Permission::kEnroll, "Enrollment.Start", "host-b").empty());
  CHECK_FALSE(WhyDenied(agent, Permission::kReadHost, "Hosts.Get", "host-b").empty());
  CHECK_FALSE(WhyDenied(agent, Permission::kReadPlacement, "Placement.Get", "host-b").empty());
  CHECK(WhyDenied(agent, Permission::kOperate, "History.List", "") ==
        "role agent may not call History.List");
  CHECK_FALSE(WhyDenied(agent, Permission::kAdminister, "PolicyService.Put", "").empty());
  CHECK(WhyDenied(placement, Permission::kReadPlacement, "Placement.Get", "host-b").empty());
  CHECK_FALSE(WhyDenied(placement, Permission::kOperate, "History.List", "").empty());
  CHECK_FALSE(WhyDenied(placement, Permission::kAttest, "Attest", "scheduler").empty());
  CHECK(WhyDenied(op, Permission::kOperate, "History.List", "").empty());
  CHECK(WhyDenied(op, Permission::kReadPlacement, "Placement.Get", "host-b").empty());
  CHECK_FALSE(WhyDenied(op, Permission::kAdminister, "Hosts.Revoke", "host-b").empty());
  CHECK_FALSE(WhyDenied(op, Permission::kAttest, "Attest", "alice").empty());
  CHECK(WhyDenied(admin, Permission::kAdminister, "Hosts.Revoke", "host-b").empty());
  CHECK(WhyDenied(admin, Permission::kOperate, "Audit.List", "").empty());
  CHECK_FALSE(WhyDenied(admin, Permission::kAttest, "Attest", "root-ops").empty());
}

TEST_CASE("config parses JSON and textproto and names the file on unknown fields", "[service]") {
  auto json = ParseServerConfig(R"({"listenAddress": "127.0.0.1:9"})", "a.json");
  REQUIRE(json.ok());
  CHECK(json->listen_address() == "127.0.0.1:9");
  auto text = ParseServerConfig("listen_address: \"127.0.0.1:8\"", "a.textproto");
  REQUIRE(text.ok());
  CHECK(text->listen_address() == "127.0.0.1:8");
  auto bad = ParseServerConfig("no_such_field: 1", "bad.textproto");
  CHECK(absl::IsInvalidArgument(bad.status()));
  CHECK(std::string(bad.status().message()).find("bad.textproto") != std::string::npos);
}

TEST_CASE("token key file is created once with mode 0600 and read back", "[service]") {
  TempDir dir;
  const std::string path = dir.path + "/token.key";
  auto created = LoadOrCreateTokenKey(path);
  REQUIRE(created.ok());
  CHECK(created->size() >= 32);
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = LoadOrCreateTokenKey(path);
  REQUIRE(again.ok());
  CHECK(*again == *created);
  std::ofstream(dir.path + "/short.key") << "abcd";
  CHECK(absl::IsInvalidArgument(ReadTokenKey(dir.path + "/short.key").status()));
  CHECK(absl::IsNotFound(ReadTokenKey(dir.path + "/absent.key").status()));
}

TEST_CASE(
    "attributable malformed evidence is stored as a contraindicated verdict and refused "
    "with INVALID_ARGUMENT",
    "[service]") {
  TempDir dir;
  auto ctx = MakeContext(dir.path);
  Register(*ctx, "host-a");
  const absl::Time now = absl::Now();
  auto challenge = Challenge(
      *ctx,
      [] {
        v1::ChallengeRequest r;
        r.set_host_id("host-a");
        return r;
      }(),
      now);
  REQUIRE(challenge.ok());
  auto info = ctx->tokens->Verify(challenge->token(), "host-a", now);
  REQUIRE(info.ok());

  v1::AttestRequest request;
  request.set_host_id("host-a");
  request.set_token(challenge->token());
  request.set_quote(std::string("\xff\x54\x43\x47\x80", 5));  // a truncated TPMS_ATTEST
  request.set_signature("garbage signature");
  request.set_event_log("garbage log");
  auto verdict = Attest(*ctx, request, now);
  INFO(verdict.status().ToString());
  REQUIRE(absl::IsInvalidArgument(verdict.status()));
  CHECK(std::string(verdict.status().message()).rfind("evidence does not parse: ", 0) == 0);

  auto stored = ctx->store->LatestAttestation("host-a");
  REQUIRE(stored.ok());
  CHECK(stored->token_id == info->token_id);
  CHECK(stored->tier == "contraindicated");
  CHECK_FALSE(stored->placement_eligible);
  CHECK(stored->group == "rack-1");
  CHECK(stored->ak_name.empty());  // no verified quote: no AK and no clock to remember
  CHECK(stored->evidence.quote_msg == request.quote());
  auto details = DetailsFromJson(stored->findings_json);
  REQUIRE(details.ok());
  REQUIRE(details->findings.size() == 1);
  CHECK(details->findings[0].code() == "malformed-evidence");
  CHECK(details->findings[0].layer() == "evidence");
  CHECK(details->findings[0].message() == verdict.status().message());

  // History shows it under the same id the JWT names.
  auto record = GetAttestation(*ctx, info->token_id);
  REQUIRE(record.ok());
  CHECK(record->verdict().attestation_id() == info->token_id);
  CHECK(record->verdict().tier() == v1::TIER_CONTRAINDICATED);
  CHECK(JwtClaims(record->verdict().jwt())["bootgate.attestation_id"] == info->token_id);

  // The token is consumed: the same evidence again is a replay.
  CHECK(absl::IsAlreadyExists(Attest(*ctx, request, now).status()));
  CHECK(ctx->store->ListAttestations({}).value().attestations.size() == 1);
}

TEST_CASE("History.Get refuses ids that are not attestation ids and names unknown ones",
          "[service]") {
  TempDir dir;
  auto ctx = MakeContext(dir.path);
  CHECK(absl::IsInvalidArgument(GetAttestation(*ctx, "").status()));
  CHECK(absl::IsInvalidArgument(GetAttestation(*ctx, "17").status()));
  CHECK(absl::IsInvalidArgument(GetAttestation(*ctx, std::string(64, 'A')).status()));
  CHECK(absl::IsInvalidArgument(GetAttestation(*ctx, std::string(65, 'a')).status()));
  auto missing = GetAttestation(*ctx, std::string(64, 'a'));
  CHECK(absl::IsNotFound(missing.status()));
}

TEST_CASE("DryRun lists every registered host without evidence, in the policy or not",
          "[service]") {
  TempDir dir;
  auto ctx = MakeContext(dir.path);
  Register(*ctx, "host-named");
  Register(*ctx, "host-unnamed", "rack-2");
  Register(*ctx, "host-attested");
  // host-attested has a (malformed-evidence) attestation: it is evaluated, not "without".
  const absl::Time now = absl::Now();
  v1::ChallengeRequest cr;
  cr.set_host_id("host-attested");
  auto challenge = Challenge(*ctx, cr, now);
  REQUIRE(challenge.ok());
  v1::AttestRequest request;
  request.set_host_id("host-attested");
  request.set_token(challenge->token());
  request.set_quote("x");
  request.set_signature("y");
  REQUIRE(absl::IsInvalidArgument(Attest(*ctx, request, now).status()));

  v1::Policy candidate;
  candidate.set_name("candidate");
  candidate.add_groups()->add_hosts("host-named");
  auto result = DryRun(*ctx, candidate, now);
  REQUIRE(result.ok());
  CHECK(result->hosts_evaluated() == 1);
  REQUIRE(result->hosts_without_evidence_size() == 2);
  CHECK(result->hosts_without_evidence(0) == "host-named");
  CHECK(result->hosts_without_evidence(1) == "host-unnamed");
  CHECK(result->changes_size() == 0);  // malformed evidence stays contraindicated
}

}  // namespace
}  // namespace bootgate::service
