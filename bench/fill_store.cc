// bootgate_fill_store: a bootgate store holding a fleet (issue 14, "A store that holds a fleet"),
// and the reads that must stay index lookups on it. A tool, not a test.
//
//   bootgate_fill_store fill --data-dir DIR [--postgres URL] [--hosts N] [--attestations M]
//                            [--append] [--verdict-ttl S] [--policy-hosts K] [--json FILE]
//   bootgate_fill_store read --server 127.0.0.1:PORT --data-dir DIR [--requests R] [--json FILE]
//   bootgate_fill_store attest --server 127.0.0.1:PORT --data-dir DIR [--host ID]
//   bootgate_fill_store explain --data-dir DIR [--postgres URL]
//
// fill: N enrolled hosts (default 1,000,000) and M attestations (default 10,000,000) in the
// store bootgated opens with the same flags (--data-dir DIR: SQLite DIR/bootgate.db, signing
// keys DIR/signing; --postgres URL: that database, keys still in DIR). The schema is made by
// the store's own migrations (OpenStore), then the rows are bulk-written: SQLite through one
// connection of its own (prepared statements, 100,000 attestations a transaction, journal off,
// synchronous off, a large cache: bootgated sets its own pragmas when it opens the file),
// PostgreSQL with COPY. What the rows hold:
//  - hosts fleet-0000000.. enrolled (trust path "enrolled", an EK fingerprint of their own),
//    each with its own P-256 AK: a real key derived from the host id (so that `attest` can sign
//    as any host later), stored as bootgated stores an enrolled AK (TPM2B_PUBLIC, fingerprint =
//    hex SHA-256 of its SubjectPublicKeyInfo).
//  - 8 boot chains (kChains: the good-host and hypervisor-host fixtures, 6 real Debian boots),
//    host i on chain i % 8, each chain its own policy group learned from its evidence
//    (`baseline learn`), each log stored once in evidence_logs with server/store/evidence_log's
//    own LogDigest / CompressLog / PutLog.
//  - attestations round-robin over the hosts like a fleet re-attesting every 10 minutes (the
//    last one now, received_at increasing with id), each with its unique token id, nonce and a
//    TPMS_ATTEST quote over the chain's PCRs carrying it, the host's TPM clock moving with time.
//    The verdict of each chain comes from appraising its evidence under the learned policy
//    (AppraiseEvidence), findings JSON as DetailsToJson writes it with the row's nonce. Each
//    host's latest attestation is signed for real (quote by the host's AK, verdict JWT by the
//    store's signing key, with its host, id, nonce, times); older rows carry the chain's
//    template quote signature and JWT (same sizes; --sign-all signs every row).
//  - tpm_counters: each AK's highest counters, those of its host's latest attestation.
// Expiry: each group's verdict_ttl is --verdict-ttl (30 days), so the latest verdicts stay
// eligible for that long after the fill. Writes DIR/fleet.json (what `read` and `attest` need)
// and DIR/fleet-policy.textproto (the learned groups, each listing its first --policy-hosts
// hosts: a policy lists its hosts one by one). Refuses a store that holds hosts or
// attestations unless --append (more hosts after those fleet.json lists).
// read: Placement.Get of random hosts, History.List of one random host (page of 50), and the
// latest verdict of a random group (History.List by group, page of 1), p50/p99.
// attest: Challenge + Attest as a filled host (its AK, its chain, its clock moved on).
// explain: EXPLAIN QUERY PLAN (SQLite) / EXPLAIN (PostgreSQL) of the statements those reads and
// an Attest run, as server/store/sql_store.cc builds them.
// Only loopback: bootgated on 127.0.0.0/8, PostgreSQL on a loopback address or a local socket.
#include <grpcpp/grpcpp.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>
#ifdef BOOTGATE_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/good_host_evidence.h"
#include "bench/load_support.h"
#include "bootgate/v1/attestation.grpc.pb.h"
#include "bootgate/v1/history.grpc.pb.h"
#include "bootgate/v1/placement.grpc.pb.h"
#include "cli/baseline_learn.h"
#include "nlohmann/json.hpp"
#include "server/attestation_id.h"
#include "server/bootgated/config.h"
#include "server/bootgated/convert.h"
#include "server/signing_keys.h"
#include "server/store/evidence_log.h"
#include "server/store/sql_connection.h"
#include "server/store/sql_store.h"
#include "server/store/sqlite_connection.h"
#include "server/store/store.h"
#include "server/token.h"
#include "server/verdict_signer.h"
#include "tests/unit/tpm/quote_builder.h"
#include "verifier/appraisal/appraise_evidence.h"
#include "verifier/bytes/hex.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/crypto/hash.h"
#include "verifier/policy/evaluate.h"
#ifdef BOOTGATE_HAVE_POSTGRES
#include "server/store/postgres_connection.h"
#endif

namespace bootgate::bench {
namespace {

namespace v1 = bootgate::v1;
namespace st = bootgate::server::store;
namespace tt = bootgate::tpm::testing;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A fleet re-attests every 10 minutes: N hosts send N attestations per interval, evenly.
constexpr int64_t kIntervalUs = int64_t{600} * 1'000'000;
constexpr char kRegisteredBy[] = "bootgate_fill_store";
constexpr char kManifest[] = "fleet.json";
constexpr char kPolicyFile[] = "fleet-policy.textproto";
constexpr auto kCallTimeout = std::chrono::seconds(10);

// The boot chains of the fleet: evidence bundles in the source tree, host i on chain i % 8.
struct ChainSpec {
  const char* name;
  const char* bundle;  // relative to the source tree
};
constexpr ChainSpec kChains[] = {
    {"good-host", "tests/data/appraisal/good-host"},
    {"hypervisor-host", "tests/data/appraisal/hypervisor-host"},
    {"debian-golden", "tests/data/realboot/golden"},
    {"debian-extra-arg", "tests/data/realboot/extra-arg"},
    {"debian-grub-extra-cmd", "tests/data/realboot/grub-extra-cmd"},
    {"debian-initrd-extra-file", "tests/data/realboot/initrd-extra-file"},
    {"debian-quoted-arg", "tests/data/realboot/quoted-arg"},
    {"debian-direct-kernel", "tests/data/realboot/direct-kernel"},
};
constexpr int64_t kChainCount = sizeof(kChains) / sizeof(kChains[0]);

std::string HostId(int64_t i) { return absl::StrFormat("fleet-%07d", i); }
std::string GroupOf(int64_t chain) { return absl::StrCat("fleet-", kChains[chain].name); }
std::string BundleDir(int64_t chain) {
  return absl::StrCat(BOOTGATE_SOURCE_DIR, "/", kChains[chain].bundle);
}

std::span<const uint8_t> U8(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string Str(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

std::array<uint8_t, 32> Sha256(std::string_view data) {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr);
  return out;
}

// ---------------------------------------------------------------------------------------------
// One fill run: hosts [first, first + hosts), attestation j of the run (0 <= j < attestations)
// is host first + j % hosts's (j / hosts)-th, received at t0 + j * spacing.
struct Run {
  int64_t first = 0;
  int64_t hosts = 0;
  int64_t attestations = 0;
  int64_t t0_us = 0;
  int64_t spacing_us = 0;
  std::string salt;  // hex: token ids of different runs never meet
  int64_t ttl_s = 0;

  int64_t ReceivedUs(int64_t j) const { return t0_us + j * spacing_us; }
  // The host's TPM clock (ms) at `at_us`: some uptime at t0, then moving with time.
  int64_t ClockMs(int64_t host, int64_t at_us) const {
    return 86'400'000 + (host * 7919) % 86'400'000 + (at_us - t0_us) / 1000;
  }
  // The run index of the host's last attestation.
  int64_t LastOf(int64_t host) const {
    const int64_t i = host - first;
    if (attestations <= i) return -1;
    return i + ((attestations - 1 - i) / hosts) * hosts;
  }
  int64_t CountOf(int64_t host) const {
    const int64_t i = host - first;
    return attestations <= i ? 0 : (attestations - 1 - i) / hosts + 1;
  }
  json ToJson() const {
    return {{"first_host", first}, {"hosts", hosts},           {"attestations", attestations},
            {"t0_us", t0_us},      {"spacing_us", spacing_us}, {"salt", salt},
            {"ttl_s", ttl_s}};
  }
  static Run FromJson(const json& j) {
    Run r;
    r.first = j.at("first_host").get<int64_t>();
    r.hosts = j.at("hosts").get<int64_t>();
    r.attestations = j.at("attestations").get<int64_t>();
    r.t0_us = j.at("t0_us").get<int64_t>();
    r.spacing_us = j.at("spacing_us").get<int64_t>();
    r.salt = j.at("salt").get<std::string>();
    r.ttl_s = j.at("ttl_s").get<int64_t>();
    return r;
  }
};

struct Manifest {
  std::vector<Run> runs;
  json fills = json::array();  // each fill's summary
  int64_t hosts() const { return runs.empty() ? 0 : runs.back().first + runs.back().hosts; }
  const Run* RunOf(int64_t host) const {
    for (const Run& r : runs) {
      if (host >= r.first && host < r.first + r.hosts) return &r;
    }
    return nullptr;
  }
};

absl::StatusOr<Manifest> ReadManifest(const std::string& dir, bool must_exist) {
  Manifest m;
  const std::string path = dir + "/" + kManifest;
  std::ifstream in(path);
  if (!in) {
    if (must_exist) {
      return absl::NotFoundError(
          absl::StrCat("no ", path, ": is ", dir, " a store bootgate_fill_store filled?"));
    }
    return m;
  }
  const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("runs")) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a fill manifest"));
  }
  try {
    for (const json& r : j["runs"]) m.runs.push_back(Run::FromJson(r));
    if (j.contains("fills")) m.fills = j["fills"];
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  return m;
}

absl::Status WriteManifest(const std::string& dir, const Manifest& m) {
  json runs = json::array();
  for (const Run& r : m.runs) runs.push_back(r.ToJson());
  json j = {{"tool", "bench/fill_store.cc"},
            {"host_format", "fleet-%07d"},
            {"chains", json::array()},
            {"runs", runs},
            {"fills", m.fills}};
  for (int64_t c = 0; c < kChainCount; ++c) {
    j["chains"].push_back(
        {{"name", kChains[c].name}, {"bundle", kChains[c].bundle}, {"group", GroupOf(c)}});
  }
  const std::string path = dir + "/" + kManifest;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Each host's AK: a P-256 key whose private scalar is SHA-256("bootgate-fill-store ak <id>")
// (mod the order): real, distinct, and derivable again by `attest`.
struct AkPoint {
  crypto::BignumPtr d;
  std::array<uint8_t, 65> point{};  // uncompressed: 04 || x || y
};

absl::StatusOr<AkPoint> DerivePoint(int64_t host) {
  struct Curve {
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BN_CTX* ctx = BN_CTX_new();
    EC_POINT* pub = EC_POINT_new(group);
    ~Curve() {
      EC_POINT_free(pub);
      BN_CTX_free(ctx);
      EC_GROUP_free(group);
    }
  };
  thread_local Curve curve;
  AkPoint ak;
  const auto digest = Sha256(absl::StrCat("bootgate-fill-store ak ", HostId(host)));
  ak.d.reset(BN_bin2bn(digest.data(), static_cast<int>(digest.size()), nullptr));
  if (!ak.d || BN_nnmod(ak.d.get(), ak.d.get(), EC_GROUP_get0_order(curve.group), curve.ctx) != 1) {
    return absl::InternalError("AK scalar");
  }
  if (BN_is_zero(ak.d.get())) BN_one(ak.d.get());
  if (EC_POINT_mul(curve.group, curve.pub, ak.d.get(), nullptr, nullptr, curve.ctx) != 1 ||
      EC_POINT_point2oct(curve.group, curve.pub, POINT_CONVERSION_UNCOMPRESSED, ak.point.data(),
                         ak.point.size(), curve.ctx) != ak.point.size()) {
    return absl::InternalError("AK public point");
  }
  return ak;
}

absl::StatusOr<crypto::EvpPkeyPtr> DeriveAk(int64_t host) {
  ASSIGN_OR_RETURN(AkPoint ak, DerivePoint(host));
  crypto::OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, ak.d.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, ak.point.data(),
                                       ak.point.size()) != 1) {
    return absl::InternalError("AK parameters");
  }
  crypto::OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return absl::InternalError("AK from its parameters");
  }
  return crypto::EvpPkeyPtr(key);
}

// What the rows of a host repeat: its AK's fingerprint (hosts.ak_name, as AkFingerprint in
// server/bootgated/hosts_service.cc), TPM Name (the quote's signer) and TPM2B_PUBLIC (what
// an enrolled host's ak_public holds).
struct HostKey {
  std::string fingerprint;
  std::vector<uint8_t> tpm_name;
  std::string tpm2b_public;
  bool operator==(const HostKey&) const = default;
};

// From an EVP_PKEY, by the test helpers and OpenSSL's encoder: the reference.
absl::StatusOr<HostKey> KeyOf(EVP_PKEY* ak) {
  HostKey k;
  const std::vector<uint8_t> der = tt::DerPublic(ak);
  ASSIGN_OR_RETURN(crypto::Digest digest, crypto::Hash(crypto::HashAlg::kSha256, der));
  k.fingerprint = bytes::ToHex(digest);
  k.tpm_name = GoodHostEvidence::TpmName(ak);
  k.tpm2b_public = Str(tt::TpmPublic(ak, /*tpm2b=*/true));
  return k;
}

// The same from the point alone, about 10x faster (OpenSSL 3's i2d_PUBKEY takes ~90 us): the
// DER SubjectPublicKeyInfo of a named-curve P-256 key is a fixed prefix and the point, and the
// TPMT_PUBLIC is tt::TpmPublic's for an ECC key. Fill checks both ways agree.
absl::StatusOr<HostKey> KeyOfPoint(const std::array<uint8_t, 65>& point) {
  static constexpr uint8_t kSpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
  std::string spki(reinterpret_cast<const char*>(kSpkiPrefix), sizeof(kSpkiPrefix));
  spki.append(reinterpret_cast<const char*>(point.data()), point.size());
  HostKey k;
  k.fingerprint = bytes::ToHex(Sha256(spki));
  TPMT_PUBLIC pub = {};
  pub.type = TPM2_ALG_ECC;
  pub.nameAlg = TPM2_ALG_SHA256;
  pub.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                         TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  pub.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  pub.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  pub.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  pub.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  pub.unique.ecc.x.size = 32;
  std::memcpy(pub.unique.ecc.x.buffer, point.data() + 1, 32);
  pub.unique.ecc.y.size = 32;
  std::memcpy(pub.unique.ecc.y.buffer, point.data() + 33, 32);
  uint8_t buf[sizeof(TPM2B_PUBLIC)];
  size_t n = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &n) != TSS2_RC_SUCCESS) {
    return absl::InternalError("marshal TPMT_PUBLIC");
  }
  const auto name = Sha256(std::string_view(reinterpret_cast<const char*>(buf), n));
  k.tpm_name = {0x00, 0x0b};
  k.tpm_name.insert(k.tpm_name.end(), name.begin(), name.end());
  TPM2B_PUBLIC b = {};
  b.publicArea = pub;
  n = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(&b, buf, sizeof(buf), &n) != TSS2_RC_SUCCESS) {
    return absl::InternalError("marshal TPM2B_PUBLIC");
  }
  k.tpm2b_public.assign(reinterpret_cast<const char*>(buf), n);
  return k;
}

// The fast way must give what bootgated and the reference helpers give.
absl::Status CheckKeyDerivation(int64_t host) {
  ASSIGN_OR_RETURN(crypto::EvpPkeyPtr ak, DeriveAk(host));
  ASSIGN_OR_RETURN(HostKey reference, KeyOf(ak.get()));
  ASSIGN_OR_RETURN(AkPoint point, DerivePoint(host));
  ASSIGN_OR_RETURN(HostKey fast, KeyOfPoint(point.point));
  if (!(fast == reference)) {
    return absl::InternalError(
        "the AK's fingerprint, TPM Name or TPM2B_PUBLIC made from its point "
        "differ from OpenSSL's");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// A boot chain: its evidence, its stored log, and the verdict bootgated gives it.
struct Chain {
  int64_t index = 0;
  std::string group;
  std::unique_ptr<GoodHostEvidence> evidence;
  std::string log;
  st::internal::EncodedLog stored;  // digest, raw size, zlib as evidence_log.cc makes them
  appraisal::Appraisal verdict;     // of the representative host, at `issued`
  absl::Duration ttl;
  std::string findings_prefix, findings_suffix;  // DetailsToJson around the nonce's hex
  std::string template_sig, template_jwt;
};

struct Fleet {
  std::vector<Chain> chains;
  v1::Policy policy;  // the learned groups, each listing its representative host only
};

// Learns each chain's group from its own evidence, then appraises each under the whole policy.
absl::StatusOr<Fleet> MakeFleet(const server::KeySet& keys, int64_t ttl_s, absl::Time now) {
  Fleet fleet;
  fleet.policy.set_name("fleet");
  fleet.policy.set_version("fleet-1");
  struct Signed {
    SignedQuote quote;
    crypto::Digest nonce;
    std::string host;
  };
  std::vector<Signed> reps;
  for (int64_t c = 0; c < kChainCount; ++c) {
    Chain chain;
    chain.index = c;
    chain.group = GroupOf(c);
    auto evidence = GoodHostEvidence::Load(BundleDir(c), AkKind::kEcdsaP256);
    if (!evidence.ok()) {
      return absl::Status(evidence.status().code(),
                          absl::StrCat(kChains[c].name, ": ", evidence.status().message()));
    }
    chain.evidence = std::make_unique<GoodHostEvidence>(*std::move(evidence));
    chain.log = Str(chain.evidence->event_log());
    ASSIGN_OR_RETURN(chain.stored.digest, st::internal::LogDigest(chain.log));
    chain.stored.raw_size = static_cast<int64_t>(chain.log.size());
    ASSIGN_OR_RETURN(chain.stored.compressed, st::internal::CompressLog(chain.log));

    Signed rep;
    rep.host = absl::StrCat("fleet-representative-", kChains[c].name);
    ASSIGN_OR_RETURN(rep.nonce, crypto::Hash(crypto::HashAlg::kSha256, U8(rep.host)));
    rep.quote = chain.evidence->Sign(rep.nonce, 1'000'000);
    appraisal::Evidence e;
    e.message = rep.quote.message;
    e.signature = rep.quote.signature;
    e.ak = chain.evidence->ak();
    e.event_log = chain.evidence->event_log();
    ASSIGN_OR_RETURN(appraisal::VerifiedEvidence verified, appraisal::VerifyEvidence(e, rep.nonce));
    if (!verified.rejections.empty() || !verified.quote.has_value()) {
      return absl::InternalError(absl::StrCat(kChains[c].name, ": evidence does not verify: ",
                                              verified.rejections.empty()
                                                  ? std::string("no quote")
                                                  : verified.rejections.front().message));
    }
    cli::LearnOptions learn;
    learn.policy_name = "fleet";
    learn.version = "fleet-1";
    learn.group = chain.group;
    learn.host_id = rep.host;
    learn.verdict_ttl_seconds = ttl_s;
    const v1::Policy learned =
        cli::LearnPolicy(verified.boot.state, verified.quote->quote.pcr_selection, learn);
    for (const v1::HostGroup& g : learned.groups()) *fleet.policy.add_groups() = g;
    fleet.chains.push_back(std::move(chain));
    reps.push_back(std::move(rep));
  }
  const policy::HostGroupIndex groups(fleet.policy);
  for (Chain& chain : fleet.chains) {
    const Signed& rep = reps[chain.index];
    appraisal::Evidence e;
    e.message = rep.quote.message;
    e.signature = rep.quote.signature;
    e.ak = chain.evidence->ak();
    e.event_log = chain.evidence->event_log();
    ASSIGN_OR_RETURN(chain.verdict, appraisal::AppraiseEvidence(e, rep.nonce, fleet.policy,
                                                                rep.host, now, &groups));
    if (!chain.verdict.placement_eligible || chain.verdict.group != chain.group) {
      return absl::InternalError(absl::StrCat(
          kChains[chain.index].name, ": not eligible under its own learned group (",
          appraisal::TierName(chain.verdict.tier), ", ",
          chain.verdict.findings.empty() ? "" : chain.verdict.findings.front().code, ")"));
    }
    chain.ttl = chain.verdict.expires - chain.verdict.issued;
    // The findings JSON as RecordVerdict writes it, the nonce cut out: a marker that cannot
    // occur elsewhere in it (DetailsToJson writes the nonce as lowercase hex).
    service::VerdictDetails details;
    for (const appraisal::Finding& f : chain.verdict.findings) {
      details.findings.push_back(service::FindingToProto(f));
    }
    details.policy_version = chain.verdict.policy_version;
    details.exceptions_used = chain.verdict.exceptions_used;
    details.qualifying_data.assign(32, 0xab);
    const std::string doc = service::DetailsToJson(details);
    const std::string marker_hex = bytes::ToHex(details.qualifying_data);
    const size_t at = doc.find(marker_hex);
    if (at == std::string::npos || doc.find(marker_hex, at + 1) != std::string::npos) {
      return absl::InternalError("findings JSON: the nonce is not where it was expected");
    }
    chain.findings_prefix = doc.substr(0, at);
    chain.findings_suffix = doc.substr(at + marker_hex.size());
    chain.template_sig = Str(rep.quote.signature);
    const std::string rep_id = bytes::ToHex(rep.nonce);
    ASSIGN_OR_RETURN(chain.template_jwt,
                     server::SignVerdict(keys, chain.verdict, {rep.host, rep_id, rep.nonce}));
  }
  return fleet;
}

// The policy bootgated runs the fleet with: the learned groups, each listing its first
// `per_group` hosts of every run (a policy names its hosts one by one; listing a million
// makes a policy of tens of MB).
v1::Policy FleetPolicy(const Fleet& fleet, const std::vector<Run>& runs, int64_t per_group) {
  v1::Policy p = fleet.policy;
  for (v1::HostGroup& g : *p.mutable_groups()) g.clear_hosts();
  for (const Run& r : runs) {
    std::vector<int64_t> listed(kChainCount, 0);
    for (int64_t h = r.first; h < r.first + r.hosts; ++h) {
      int64_t& n = listed[h % kChainCount];
      if (n >= per_group) {
        if (h - r.first >= per_group * kChainCount) break;
        continue;
      }
      ++n;
      p.mutable_groups(static_cast<int>(h % kChainCount))->add_hosts(HostId(h));
    }
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Rows as the store writes them (server/store/sql_store.cc: InsertHostSql, kInsertAttestation,
// kRaiseCounters; blobs are the bytes, hex fingerprints and token ids included).
struct HostRow {
  std::string host_id, group, ak_public, ak_name, ek_fingerprint;
  int64_t registered_at_us = 0;
};
struct AttestationRow {
  std::string host_id, group, token_id, tier, policy_name, verdict_jwt, findings_json, ak_name,
      quote_msg, quote_sig;
  int64_t received_at_us = 0, expires_at_us = 0, tpm_clock = 0, reset_count = 0, restart_count = 0;
  bool eligible = false;
  const std::string* log_digest = nullptr;
};
struct CounterRow {
  std::string ak_name, host_id;
  int64_t reset_count = 0, restart_count = 0, tpm_clock = 0, updated_at_us = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Whether the store holds hosts or attestations.
  virtual absl::StatusOr<bool> HoldsRows() = 0;
  virtual absl::Status Hosts(std::span<const HostRow> rows) = 0;
  virtual absl::Status Attestations(std::span<const AttestationRow> rows) = 0;
  virtual absl::Status Counters(std::span<const CounterRow> rows) = 0;
  virtual absl::Status Finish() = 0;
  virtual absl::StatusOr<int64_t> SizeBytes() = 0;
};

class SqliteSink final : public Sink {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteSink>> Open(const std::string& path, int64_t cache_mb,
                                                          int64_t transaction_rows) {
    auto sink = std::unique_ptr<SqliteSink>(new SqliteSink(path));
    sink->transaction_rows_ = transaction_rows;
    if (sqlite3_open_v2(path.c_str(), &sink->db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      return absl::UnavailableError(absl::StrCat("sqlite: cannot open ", path));
    }
    // The fill's own connection: no journal, no fsync, a large cache. bootgated's connections
    // set journal_mode=WAL, synchronous=FULL, foreign_keys=ON when they open the file
    // (sqlite_connection.cc), and Finish() puts the file back in WAL mode.
    RETURN_IF_ERROR(sink->Exec(
        absl::StrCat("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON;"
                     " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-",
                     cache_mb * 1024, ";")));
    RETURN_IF_ERROR(sink->Prepare(
        &sink->host_,
        "INSERT INTO hosts (host_id, host_group, ak_public, ak_name, registered_at_us,"
        " registered_by, trust_path, ek_fingerprint, status, status_changed_at_us,"
        " status_changed_by, status_reason, reenroll_allowed, reenroll_allowed_at_us,"
        " reenroll_allowed_by, reenroll_allowed_reason)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'enrolled', ?7, 'active', ?5, ?6, 'enrolled', 0, 0,"
        " '', '')"));
    RETURN_IF_ERROR(sink->Prepare(
        &sink->attestation_,
        "INSERT INTO attestations (host_id, host_group, received_at_us, token_id, tier,"
        " placement_eligible, policy_name, policy_version, expires_at_us, verdict_jwt,"
        " findings_json, ak_name, tpm_clock, reset_count, restart_count, quote_msg, quote_sig,"
        " quote_pcrs, event_log_digest)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
        " zeroblob(0), ?17)"));
    RETURN_IF_ERROR(sink->Prepare(
        &sink->counter_,
        "INSERT INTO tpm_counters (ak_name, host_id, reset_count, restart_count, tpm_clock,"
        " updated_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    return sink;
  }
  ~SqliteSink() override {
    sqlite3_finalize(host_);
    sqlite3_finalize(attestation_);
    sqlite3_finalize(counter_);
    sqlite3_close_v2(db_);
  }

  absl::StatusOr<bool> HoldsRows() override {
    sqlite3_stmt* s = nullptr;
    RETURN_IF_ERROR(Prepare(&s,
                            "SELECT EXISTS (SELECT 1 FROM hosts) OR"
                            " EXISTS (SELECT 1 FROM attestations)"));
    const bool any = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) != 0;
    sqlite3_finalize(s);
    return any;
  }

  absl::Status Hosts(std::span<const HostRow> rows) override {
    return InTransaction([&]() -> absl::Status {
      for (const HostRow& r : rows) {
        Text(host_, 1, r.host_id);
        Text(host_, 2, r.group);
        Blob(host_, 3, r.ak_public);
        Blob(host_, 4, r.ak_name);
        sqlite3_bind_int64(host_, 5, r.registered_at_us);
        Text(host_, 6, kRegisteredBy);
        Text(host_, 7, r.ek_fingerprint);
        RETURN_IF_ERROR(Step(host_, "insert host"));
      }
      return absl::OkStatus();
    });
  }

  // Attestations go into one transaction until it holds transaction_rows_ (Finish commits the
  // rest): a commit writes every page the transaction dirtied, and the indexes keyed by host,
  // AK and token take rows all over, so small transactions write the same index pages again
  // and again; too large ones outgrow the page cache and stall on one huge write. For 1 M
  // attestations over 100,000 hosts: 10,000 rows a transaction 91 s, 1,000,000 83 s,
  // 100,000 50 s.
  absl::Status Attestations(std::span<const AttestationRow> rows) override {
    if (open_rows_ == 0) RETURN_IF_ERROR(Exec("BEGIN"));
    open_rows_ += static_cast<int64_t>(rows.size());
    absl::Status inserted = [&]() -> absl::Status {
      sqlite3_stmt* s = attestation_;
      for (const AttestationRow& r : rows) {
        Text(s, 1, r.host_id);
        Text(s, 2, r.group);
        sqlite3_bind_int64(s, 3, r.received_at_us);
        Blob(s, 4, r.token_id);
        Text(s, 5, r.tier);
        sqlite3_bind_int(s, 6, r.eligible ? 1 : 0);
        Text(s, 7, r.policy_name);
        sqlite3_bind_int64(s, 8, r.expires_at_us);
        Text(s, 9, r.verdict_jwt);
        Text(s, 10, r.findings_json);
        Blob(s, 11, r.ak_name);
        sqlite3_bind_int64(s, 12, r.tpm_clock);
        sqlite3_bind_int64(s, 13, r.reset_count);
        sqlite3_bind_int64(s, 14, r.restart_count);
        Blob(s, 15, r.quote_msg);
        Blob(s, 16, r.quote_sig);
        Blob(s, 17, *r.log_digest);
        RETURN_IF_ERROR(Step(s, "insert attestation"));
      }
      return absl::OkStatus();
    }();
    if (!inserted.ok()) {
      (void)Exec("ROLLBACK");
      open_rows_ = 0;
      return inserted;
    }
    return open_rows_ >= transaction_rows_ ? Commit() : absl::OkStatus();
  }

  absl::Status Counters(std::span<const CounterRow> rows) override {
    RETURN_IF_ERROR(Commit());
    return InTransaction([&]() -> absl::Status {
      for (const CounterRow& r : rows) {
        Blob(counter_, 1, r.ak_name);
        Text(counter_, 2, r.host_id);
        sqlite3_bind_int64(counter_, 3, r.reset_count);
        sqlite3_bind_int64(counter_, 4, r.restart_count);
        sqlite3_bind_int64(counter_, 5, r.tpm_clock);
        sqlite3_bind_int64(counter_, 6, r.updated_at_us);
        RETURN_IF_ERROR(Step(counter_, "insert counters"));
      }
      return absl::OkStatus();
    });
  }

  absl::Status Finish() override {
    RETURN_IF_ERROR(Commit());
    // The journal mode bootgated made the file with (it sets it again at every open anyway).
    return Exec("PRAGMA journal_mode=WAL;");
  }

  absl::StatusOr<int64_t> SizeBytes() override { return FilesSize(path_); }
  // The database file and its WAL and shared-memory files.
  static int64_t FilesSize(const std::string& path) {
    int64_t total = 0;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(path + suffix, ec);
      if (!ec) total += static_cast<int64_t>(size);
    }
    return total;
  }

 private:
  explicit SqliteSink(std::string path) : path_(std::move(path)) {}

  absl::Status Error(std::string_view what) {
    return absl::InternalError(
        absl::StrCat("sqlite: ", std::string(what), ": ", sqlite3_errmsg(db_)));
  }
  absl::Status Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK ? absl::OkStatus()
                                                                                  : Error(sql);
  }
  absl::Status Prepare(sqlite3_stmt** s, const char* sql) {
    return sqlite3_prepare_v2(db_, sql, -1, s, nullptr) == SQLITE_OK ? absl::OkStatus()
                                                                     : Error("prepare");
  }
  static void Text(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  static void Blob(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_blob64(s, i, v.data(), v.size(), SQLITE_STATIC);
  }
  absl::Status Step(sqlite3_stmt* s, std::string_view what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(what);
  }
  absl::Status Commit() {
    if (open_rows_ == 0) return absl::OkStatus();
    open_rows_ = 0;
    return Exec("COMMIT");
  }
  absl::Status InTransaction(const std::function<absl::Status()>& body) {
    RETURN_IF_ERROR(Exec("BEGIN"));
    absl::Status s = body();
    if (s.ok()) return Exec("COMMIT");
    (void)Exec("ROLLBACK");
    return s;
  }

  const std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* host_ = nullptr;
  sqlite3_stmt* attestation_ = nullptr;
  sqlite3_stmt* counter_ = nullptr;
  int64_t transaction_rows_ = 0;
  int64_t open_rows_ = 0;  // attestations in the open transaction
};

#ifdef BOOTGATE_HAVE_POSTGRES
// COPY ... FROM STDIN in text format.
class PostgresSink final : public Sink {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresSink>> Open(const std::string& url) {
    auto sink = std::unique_ptr<PostgresSink>(new PostgresSink);
    sink->conn_ = PQconnectdb(url.c_str());
    if (PQstatus(sink->conn_) != CONNECTION_OK) {
      return absl::UnavailableError(
          absl::StrCat("postgresql: cannot connect: ", PQerrorMessage(sink->conn_)));
    }
    // The fill's own session: its commits need not wait for the WAL flush (bootgated sets
    // synchronous_commit=on for each of its sessions).
    RETURN_IF_ERROR(sink->Exec("SET synchronous_commit = off"));
    return sink;
  }
  ~PostgresSink() override { PQfinish(conn_); }

  absl::StatusOr<bool> HoldsRows() override {
    ASSIGN_OR_RETURN(std::string v, Scalar("SELECT EXISTS (SELECT 1 FROM hosts) OR"
                                           " EXISTS (SELECT 1 FROM attestations)"));
    return v == "t";
  }

  absl::Status Hosts(std::span<const HostRow> rows) override {
    std::string buf;
    for (const HostRow& r : rows) {
      Field(buf, r.host_id);
      Field(buf, r.group);
      Bytea(buf, r.ak_public);
      Bytea(buf, r.ak_name);
      Int(buf, r.registered_at_us);
      Field(buf, kRegisteredBy);
      Field(buf, "enrolled");
      Field(buf, r.ek_fingerprint);
      Field(buf, "active");
      Int(buf, r.registered_at_us);
      Field(buf, kRegisteredBy);
      Field(buf, "enrolled", true);
    }
    return Copy(
        "COPY hosts (host_id, host_group, ak_public, ak_name, registered_at_us, registered_by,"
        " trust_path, ek_fingerprint, status, status_changed_at_us, status_changed_by,"
        " status_reason) FROM STDIN",
        buf);
  }

  absl::Status Attestations(std::span<const AttestationRow> rows) override {
    std::string buf;
    for (const AttestationRow& r : rows) {
      Field(buf, r.host_id);
      Field(buf, r.group);
      Int(buf, r.received_at_us);
      Bytea(buf, r.token_id);
      Field(buf, r.tier);
      Field(buf, r.eligible ? "t" : "f");
      Field(buf, r.policy_name);
      Int(buf, 0);
      Int(buf, r.expires_at_us);
      Field(buf, r.verdict_jwt);
      Field(buf, r.findings_json);
      Bytea(buf, r.ak_name);
      Int(buf, r.tpm_clock);
      Int(buf, r.reset_count);
      Int(buf, r.restart_count);
      Bytea(buf, r.quote_msg);
      Bytea(buf, r.quote_sig);
      Bytea(buf, "");
      Bytea(buf, *r.log_digest, true);
    }
    return Copy(
        "COPY attestations (host_id, host_group, received_at_us, token_id, tier,"
        " placement_eligible, policy_name, policy_version, expires_at_us, verdict_jwt,"
        " findings_json, ak_name, tpm_clock, reset_count, restart_count, quote_msg, quote_sig,"
        " quote_pcrs, event_log_digest) FROM STDIN",
        buf);
  }

  absl::Status Counters(std::span<const CounterRow> rows) override {
    std::string buf;
    for (const CounterRow& r : rows) {
      Bytea(buf, r.ak_name);
      Field(buf, r.host_id);
      Int(buf, r.reset_count);
      Int(buf, r.restart_count);
      Int(buf, r.tpm_clock);
      Int(buf, r.updated_at_us, true);
    }
    return Copy(
        "COPY tpm_counters (ak_name, host_id, reset_count, restart_count, tpm_clock,"
        " updated_at_us) FROM STDIN",
        buf);
  }

  // Statistics now rather than when autovacuum gets to it: the plans `explain` shows are those
  // of a store that has been running for a while.
  absl::Status Finish() override {
    return Exec("ANALYZE hosts; ANALYZE attestations; ANALYZE tpm_counters; ANALYZE evidence_logs");
  }

  absl::StatusOr<int64_t> SizeBytes() override {
    ASSIGN_OR_RETURN(std::string v, Scalar("SELECT pg_database_size(current_database())"));
    return std::stoll(v);
  }

 private:
  absl::Status Exec(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    const bool ok =
        PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    absl::Status s = ok ? absl::OkStatus()
                        : absl::InternalError(absl::StrCat("postgresql: ", sql.substr(0, 40), ": ",
                                                           PQerrorMessage(conn_)));
    PQclear(res);
    return s;
  }
  absl::StatusOr<std::string> Scalar(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
      absl::Status s = absl::InternalError(absl::StrCat("postgresql: ", PQerrorMessage(conn_)));
      PQclear(res);
      return s;
    }
    std::string v = PQgetvalue(res, 0, 0);
    PQclear(res);
    return v;
  }
  absl::Status Copy(const std::string& sql, const std::string& data) {
    PGresult* res = PQexec(conn_, sql.c_str());
    const bool in = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    if (!in) return absl::InternalError(absl::StrCat("postgresql: ", PQerrorMessage(conn_)));
    constexpr size_t kPiece = 1 << 20;
    for (size_t at = 0; at < data.size(); at += kPiece) {
      const size_t n = std::min(kPiece, data.size() - at);
      if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) break;
    }
    PQputCopyEnd(conn_, nullptr);
    absl::Status s;
    while ((res = PQgetResult(conn_)) != nullptr) {
      if (PQresultStatus(res) != PGRES_COMMAND_OK && s.ok()) {
        s = absl::InternalError(absl::StrCat("postgresql: COPY: ", PQerrorMessage(conn_)));
      }
      PQclear(res);
    }
    return s;
  }
  // COPY's text format: tab-separated, backslash escapes.
  static void Field(std::string& buf, std::string_view v, bool last = false) {
    for (char c : v) {
      switch (c) {
        case '\\':
          buf += "\\\\";
          break;
        case '\t':
          buf += "\\t";
          break;
        case '\n':
          buf += "\\n";
          break;
        case '\r':
          buf += "\\r";
          break;
        default:
          buf += c;
      }
    }
    buf += last ? '\n' : '\t';
  }
  static void Int(std::string& buf, int64_t v, bool last = false) {
    absl::StrAppend(&buf, v);
    buf += last ? '\n' : '\t';
  }
  static void Bytea(std::string& buf, const std::string& v, bool last = false) {
    buf += "\\\\x";
    buf += bytes::ToHex(U8(v));
    buf += last ? '\n' : '\t';
  }

  PGconn* conn_ = nullptr;
};
#endif

// ---------------------------------------------------------------------------------------------
// Makes chunks [0, chunks) on `threads` workers and hands them to `consume` in order on the
// calling thread; workers stay at most `window` chunks ahead.
template <typename T>
absl::Status OrderedPipeline(int64_t chunks, int threads, int64_t window,
                             const std::function<absl::StatusOr<T>(int64_t)>& make,
                             const std::function<absl::Status(T&)>& consume) {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int64_t, T> ready;
  int64_t consumed = 0;
  std::atomic<int64_t> next{0};
  absl::Status failure;
  bool stop = false;
  auto worker = [&] {
    for (;;) {
      const int64_t k = next.fetch_add(1);
      if (k >= chunks) return;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || k < consumed + window; });
        if (stop) return;
      }
      absl::StatusOr<T> made = make(k);
      std::lock_guard lock(mu);
      if (!made.ok()) {
        if (failure.ok()) failure = made.status();
        stop = true;
      } else {
        ready.emplace(k, *std::move(made));
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  absl::Status status;
  for (int64_t k = 0; k < chunks; ++k) {
    T item;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stop || ready.contains(k); });
      if (!ready.contains(k)) break;
      item = std::move(ready[k]);
      ready.erase(k);
    }
    status = consume(item);
    std::lock_guard lock(mu);
    ++consumed;
    if (!status.ok()) stop = true;
    cv.notify_all();
    if (!status.ok()) break;
  }
  {
    std::lock_guard lock(mu);
    stop = true;
    cv.notify_all();
  }
  for (std::thread& t : pool) t.join();
  if (!failure.ok()) return failure;
  return status;
}

// Rows per second and the time left, on stderr every few seconds.
class Progress {
 public:
  Progress(std::string what, int64_t total) : what_(std::move(what)), total_(total) {}
  void Add(int64_t n) {
    done_ += n;
    const Clock::time_point now = Clock::now();
    if (now - last_ < std::chrono::seconds(5) && done_ < total_) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    const double rate = s > 0 ? static_cast<double>(done_) / s : 0;
    const double left = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0;
    std::fprintf(
        stderr, "fill: %s %lld/%lld (%.1f%%) %.0f rows/s, %.0f s, ETA %.0f s\n", what_.c_str(),
        static_cast<long long>(done_), static_cast<long long>(total_),
        total_ > 0 ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0, rate,
        s, left);
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  const std::string what_;
  const int64_t total_;
  int64_t done_ = 0;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = start_;
};

// ---------------------------------------------------------------------------------------------
struct FillOptions {
  std::string data_dir;
  std::string postgres;
  int64_t hosts = 1'000'000;
  int64_t attestations = 10'000'000;
  bool append = false;
  int64_t ttl_s = 30 * 24 * 3600;
  int64_t policy_hosts = 4;
  int threads = 0;
  int64_t cache_mb = 4096;
  int64_t transaction_rows = 100'000;
  bool sign_all = false;
  std::string json_out;
};

// A PostgreSQL conninfo (URL or keyword=value) whose hosts are all loopback or local sockets.
absl::Status CheckLoopbackPostgres(const std::string& url) {
#ifdef BOOTGATE_HAVE_POSTGRES
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? err : "cannot parse";
    PQfreemem(err);
    return absl::InvalidArgumentError(absl::StrCat("--postgres: ", msg));
  }
  absl::Status s;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    const std::string key = o->keyword;
    if ((key != "host" && key != "hostaddr") || o->val == nullptr) continue;
    for (absl::string_view part : absl::StrSplit(o->val, ',')) {
      const std::string h(part);
      const bool local =
          h.empty() || h.starts_with("/") || service::IsLoopbackAddress(absl::StrCat(h, ":0"));
      if (!local && s.ok()) {
        s = absl::InvalidArgumentError(absl::StrCat(
            "--postgres: host ", h, " is not loopback: the fill writes only to this machine"));
      }
    }
  }
  PQconninfoFree(opts);
  return s;
#else
  (void)url;
  return absl::InvalidArgumentError("built without PostgreSQL support (BOOTGATE_POSTGRES=OFF)");
#endif
}

std::string Hex32(std::string_view data) { return bytes::ToHex(Sha256(data)); }

// The stored host must read back as filled: host, latest attestation (evidence decoded and its
// log checked against its digest), history, verdict JWT, counters.
absl::Status CheckHost(st::Store& store, const server::KeySet& keys, const Run& run,
                       const Fleet& fleet, int64_t host) {
  const std::string id = HostId(host);
  ASSIGN_OR_RETURN(st::Host h, store.GetHost(id));
  ASSIGN_OR_RETURN(st::Attestation latest, store.LatestAttestation(id));
  const Chain& chain = fleet.chains[host % kChainCount];
  const int64_t j = run.LastOf(host);
  if (latest.received_at != absl::FromUnixMicros(run.ReceivedUs(j)) ||
      latest.evidence.event_log != chain.log || latest.ak_name != h.ak_name ||
      latest.group != chain.group || !latest.placement_eligible) {
    return absl::DataLossError(absl::StrCat(id, ": the latest attestation is not the filled one"));
  }
  ASSIGN_OR_RETURN(v1::Verdict verdict, service::VerdictFromRecord(latest));
  ASSIGN_OR_RETURN(json claims, server::VerifyJwt(keys, latest.verdict_jwt));
  if (claims.value("bootgate.host", "") != id ||
      claims.value("bootgate.attestation_id", "") != latest.token_id) {
    return absl::DataLossError(absl::StrCat(id, ": the latest verdict's JWT names another"));
  }
  st::AttestationFilter filter;
  filter.host_id = id;
  filter.page_size = 1000;
  ASSIGN_OR_RETURN(st::AttestationPage page, store.ListAttestations(filter));
  if (static_cast<int64_t>(page.attestations.size()) != run.CountOf(host)) {
    return absl::DataLossError(
        absl::StrCat(id, ": ", page.attestations.size(), " attestations, not ", run.CountOf(host)));
  }
  ASSIGN_OR_RETURN(std::optional<st::ClockInfo> high, store.HighestClockInfo(h.ak_name));
  if (!high || high->clock != latest.clock_info.clock ||
      high->reset_count != latest.clock_info.reset_count) {
    return absl::DataLossError(absl::StrCat(id, ": tpm_counters is not its latest quote's"));
  }
  return absl::OkStatus();
}

int Fill(const FillOptions& o) {
  const Clock::time_point start = Clock::now();
  auto fail = [](const std::string& what, const absl::Status& s) {
    std::fprintf(stderr, "fill: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
    return 1;
  };
  if (o.hosts < 1 || o.attestations < 0)
    return fail("arguments", absl::InvalidArgumentError("--hosts >= 1"));
  if (!o.postgres.empty()) {
    if (absl::Status s = CheckLoopbackPostgres(o.postgres); !s.ok()) return fail("refused", s);
  }
  v1::ServerConfig config;
  config.set_data_dir(o.data_dir);
  if (!o.postgres.empty()) config.mutable_store()->mutable_postgres()->set_conninfo(o.postgres);
  config = service::WithDefaults(config);
  if (mkdir(o.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("data dir", absl::InternalError(o.data_dir));
  }
  // The schema exactly as bootgated makes it: the store's own migrations.
  {
    auto store = st::OpenStore(service::StoreUrl(config));
    if (!store.ok()) return fail("open store", store.status());
  }
  std::unique_ptr<Sink> sink;
  std::unique_ptr<st::internal::SqlConnection> conn;  // for PutLog
  if (o.postgres.empty()) {
    auto s = SqliteSink::Open(config.store().sqlite().path(), o.cache_mb, o.transaction_rows);
    if (!s.ok()) return fail("sqlite", s.status());
    sink = *std::move(s);
  } else {
#ifdef BOOTGATE_HAVE_POSTGRES
    auto s = PostgresSink::Open(o.postgres);
    if (!s.ok()) return fail("postgresql", s.status());
    sink = *std::move(s);
#endif
  }
  auto manifest = ReadManifest(o.data_dir, false);
  if (!manifest.ok()) return fail("manifest", manifest.status());
  auto holds = sink->HoldsRows();
  if (!holds.ok()) return fail("store", holds.status());
  if (*holds && !o.append) {
    return fail("refused", absl::FailedPreconditionError(
                               "the store already holds hosts or attestations: --append adds "
                               "hosts after those its fleet.json lists"));
  }
  if (o.append && *holds && manifest->runs.empty()) {
    return fail("refused", absl::FailedPreconditionError(absl::StrCat(
                               "--append: the store holds rows but ", o.data_dir, "/", kManifest,
                               " lists no fill: its host ids are unknown")));
  }
  // An empty store starts over: a fleet.json left by a store since deleted lists nothing here.
  if (!*holds) *manifest = Manifest{};
  auto keys = server::LoadOrCreateKeySet(config.signing().keys_dir());
  if (!keys.ok()) return fail("signing keys", keys.status());

  const absl::Time now = absl::Now();
  Run run;
  run.first = manifest->hosts();
  run.hosts = o.hosts;
  run.attestations = o.attestations;
  run.spacing_us = std::max<int64_t>(1, kIntervalUs / o.hosts);
  run.t0_us = absl::ToUnixMicros(now) - std::max<int64_t>(0, o.attestations - 1) * run.spacing_us;
  run.ttl_s = o.ttl_s;
  {
    std::random_device rd;
    std::string salt;
    for (int i = 0; i < 16; ++i) salt += static_cast<char>(rd());
    run.salt = bytes::ToHex(U8(salt));
  }
  auto fleet = MakeFleet(*keys, o.ttl_s, now);
  if (!fleet.ok()) return fail("boot chains", fleet.status());

  // The distinct logs, through the store's own code (PutLog: zlib, ON CONFLICT DO NOTHING).
  {
    auto c = o.postgres.empty() ? st::internal::OpenSqliteConnection(config.store().sqlite().path())
#ifdef BOOTGATE_HAVE_POSTGRES
                                : st::internal::OpenPostgresConnection(o.postgres);
#else
                                : absl::StatusOr<std::unique_ptr<st::internal::SqlConnection>>(
                                      absl::UnimplementedError("postgresql"));
#endif
    if (!c.ok()) return fail("logs", c.status());
    for (const Chain& chain : fleet->chains) {
      if (absl::Status s = st::internal::PutLog(**c, chain.stored, chain.log); !s.ok()) {
        return fail("logs", s);
      }
    }
  }

  const int threads = o.threads > 0
                          ? o.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::fprintf(stderr,
               "fill: %s: %lld hosts (fleet-%07lld..), %lld attestations over %.0f min, %lld "
               "boot chains, %d threads\n",
               o.postgres.empty() ? config.store().sqlite().path().c_str() : "postgresql",
               static_cast<long long>(run.hosts), static_cast<long long>(run.first),
               static_cast<long long>(run.attestations),
               static_cast<double>(run.attestations) * static_cast<double>(run.spacing_us) / 60e6,
               static_cast<long long>(kChainCount), threads);

  if (absl::Status s = CheckKeyDerivation(run.first); !s.ok()) return fail("AK", s);
  // Hosts, and what their rows repeat.
  std::vector<HostKey> host_keys(static_cast<size_t>(run.hosts));
  const int64_t registered_us = run.t0_us - int64_t{86'400} * 1'000'000;
  constexpr int64_t kHostChunk = 5000;
  {
    Progress progress("hosts", run.hosts);
    const std::function<absl::StatusOr<std::vector<HostRow>>(int64_t)> make =
        [&](int64_t k) -> absl::StatusOr<std::vector<HostRow>> {
      std::vector<HostRow> rows;
      for (int64_t i = k * kHostChunk; i < std::min(run.hosts, (k + 1) * kHostChunk); ++i) {
        const int64_t h = run.first + i;
        ASSIGN_OR_RETURN(AkPoint ak, DerivePoint(h));
        ASSIGN_OR_RETURN(host_keys[i], KeyOfPoint(ak.point));
        HostRow r;
        r.host_id = HostId(h);
        r.group = GroupOf(h % kChainCount);
        r.ak_public = host_keys[i].tpm2b_public;
        r.ak_name = host_keys[i].fingerprint;
        r.ek_fingerprint = Hex32(absl::StrCat("bootgate-fill-store ek ", r.host_id));
        r.registered_at_us = registered_us;
        host_keys[i].tpm2b_public.clear();
        host_keys[i].tpm2b_public.shrink_to_fit();
        rows.push_back(std::move(r));
      }
      return rows;
    };
    const std::function<absl::Status(std::vector<HostRow>&)> consume =
        [&](std::vector<HostRow>& rows) {
          RETURN_IF_ERROR(sink->Hosts(rows));
          progress.Add(static_cast<int64_t>(rows.size()));
          return absl::OkStatus();
        };
    if (absl::Status s = OrderedPipeline<std::vector<HostRow>>(
            (run.hosts + kHostChunk - 1) / kHostChunk, threads, 2 * threads, make, consume);
        !s.ok()) {
      return fail("hosts", s);
    }
  }
  const double hosts_s = std::chrono::duration<double>(Clock::now() - start).count();

  // Attestations, in id order.
  constexpr int64_t kAttestationChunk = 10000;
  const Clock::time_point attest_start = Clock::now();
  {
    Progress progress("attestations", run.attestations);
    const std::function<absl::StatusOr<std::vector<AttestationRow>>(int64_t)> make =
        [&](int64_t k) -> absl::StatusOr<std::vector<AttestationRow>> {
      std::vector<AttestationRow> rows;
      const int64_t end = std::min(run.attestations, (k + 1) * kAttestationChunk);
      rows.reserve(static_cast<size_t>(end - k * kAttestationChunk));
      for (int64_t j = k * kAttestationChunk; j < end; ++j) {
        const int64_t i = j % run.hosts;
        const int64_t h = run.first + i;
        const Chain& chain = fleet->chains[h % kChainCount];
        const HostKey& key = host_keys[i];
        AttestationRow r;
        r.host_id = HostId(h);
        r.group = chain.group;
        r.received_at_us = run.ReceivedUs(j);
        // As bootgated makes them (server/attestation_id.h): the time, then unique bytes.
        const auto id = Sha256(absl::StrCat(run.salt, " ", j));
        r.token_id =
            server::AttestationId(absl::FromUnixMicros(r.received_at_us),
                                  std::span(id).first<server::kAttestationIdUniqueBytes>());
        const auto nonce = Sha256(absl::StrCat("bootgate-fill-store nonce ", r.token_id));
        r.tier = std::string(appraisal::TierName(chain.verdict.tier));
        r.eligible = chain.verdict.placement_eligible;
        r.policy_name = chain.verdict.policy_name;
        r.expires_at_us = r.received_at_us + absl::ToInt64Microseconds(chain.ttl);
        r.findings_json =
            absl::StrCat(chain.findings_prefix, bytes::ToHex(nonce), chain.findings_suffix);
        r.ak_name = key.fingerprint;
        r.tpm_clock = run.ClockMs(h, r.received_at_us);
        r.reset_count = chain.evidence->quote_template().clock_info.reset_count;
        r.restart_count = chain.evidence->quote_template().clock_info.restart_count;
        r.log_digest = &chain.stored.digest;
        const bool latest = j + run.hosts >= run.attestations;
        if (latest || o.sign_all) {
          ASSIGN_OR_RETURN(crypto::EvpPkeyPtr ak, DeriveAk(h));
          const SignedQuote q = chain.evidence->SignAs(ak.get(), key.tpm_name, nonce,
                                                       static_cast<uint64_t>(r.tpm_clock));
          r.quote_msg = Str(q.message);
          r.quote_sig = Str(q.signature);
          appraisal::Appraisal verdict = chain.verdict;
          verdict.issued = absl::FromUnixMicros(r.received_at_us);
          verdict.expires = absl::FromUnixMicros(r.expires_at_us);
          ASSIGN_OR_RETURN(r.verdict_jwt,
                           server::SignVerdict(*keys, verdict,
                                               {r.host_id, r.token_id,
                                                std::vector<uint8_t>(nonce.begin(), nonce.end())}));
        } else {
          r.quote_msg = Str(chain.evidence->QuoteMessage(key.tpm_name, nonce,
                                                         static_cast<uint64_t>(r.tpm_clock)));
          r.quote_sig = chain.template_sig;
          r.verdict_jwt = chain.template_jwt;
        }
        rows.push_back(std::move(r));
      }
      return rows;
    };
    const std::function<absl::Status(std::vector<AttestationRow>&)> consume =
        [&](std::vector<AttestationRow>& rows) {
          RETURN_IF_ERROR(sink->Attestations(rows));
          progress.Add(static_cast<int64_t>(rows.size()));
          return absl::OkStatus();
        };
    if (absl::Status s = OrderedPipeline<std::vector<AttestationRow>>(
            (run.attestations + kAttestationChunk - 1) / kAttestationChunk, threads, 2 * threads,
            make, consume);
        !s.ok()) {
      return fail("attestations", s);
    }
  }
  const double attestations_s = std::chrono::duration<double>(Clock::now() - attest_start).count();

  // Each AK's highest counters: those of its host's latest attestation.
  {
    std::vector<CounterRow> rows;
    for (int64_t i = 0; i < std::min(run.hosts, run.attestations); ++i) {
      const int64_t h = run.first + i;
      const Chain& chain = fleet->chains[h % kChainCount];
      CounterRow r;
      r.ak_name = host_keys[i].fingerprint;
      r.host_id = HostId(h);
      r.reset_count = chain.evidence->quote_template().clock_info.reset_count;
      r.restart_count = chain.evidence->quote_template().clock_info.restart_count;
      r.updated_at_us = run.ReceivedUs(run.LastOf(h));
      r.tpm_clock = run.ClockMs(h, r.updated_at_us);
      rows.push_back(std::move(r));
      if (rows.size() == 50000) {
        if (absl::Status s = sink->Counters(rows); !s.ok()) return fail("tpm_counters", s);
        rows.clear();
      }
    }
    if (absl::Status s = sink->Counters(rows); !s.ok()) return fail("tpm_counters", s);
  }
  if (absl::Status s = sink->Finish(); !s.ok()) return fail("finish", s);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // PostgreSQL: the database's size now; SQLite: the files, once every connection is closed.
  absl::StatusOr<int64_t> size = o.postgres.empty() ? int64_t{0} : sink->SizeBytes();
  if (!size.ok()) return fail("size", size.status());
  sink.reset();

  // Read back through the store as bootgated opens it.
  {
    auto store = st::OpenStore(service::StoreUrl(config));
    if (!store.ok()) return fail("reopen", store.status());
    for (int64_t h : {run.first, run.first + std::min(run.hosts, run.attestations) - 1}) {
      if (run.attestations == 0) break;
      if (absl::Status s = CheckHost(**store, *keys, run, *fleet, h); !s.ok()) {
        return fail("read back", s);
      }
    }
  }

  if (o.postgres.empty()) {
    size = SqliteSink::FilesSize(config.store().sqlite().path());
  }
  manifest->runs.push_back(run);
  json summary = {{"store", o.postgres.empty() ? "sqlite" : "postgresql"},
                  {"hosts", run.hosts},
                  {"attestations", run.attestations},
                  {"first_host", run.first},
                  {"distinct_logs", kChainCount},
                  {"groups", kChainCount},
                  {"seconds", seconds},
                  {"hosts_seconds", hosts_s},
                  {"attestations_seconds", attestations_s},
                  {"attestations_per_s",
                   attestations_s > 0 ? static_cast<double>(run.attestations) / attestations_s : 0},
                  {"size_bytes", *size},
                  {"threads", threads},
                  {"sign_all", o.sign_all},
                  {"verdict_ttl_s", o.ttl_s},
                  {"at", absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())},
                  {"total_hosts", run.first + run.hosts}};
  manifest->fills.push_back(summary);
  if (absl::Status s = WriteManifest(o.data_dir, *manifest); !s.ok()) return fail("manifest", s);
  const v1::Policy policy = FleetPolicy(*fleet, manifest->runs, o.policy_hosts);
  {
    const std::string path = o.data_dir + "/" + kPolicyFile;
    std::ofstream out(path);
    out << "# Written by bootgate_fill_store: the groups learned from the fleet's " << kChainCount
        << " boot chains\n# (bench/fill_store.cc kChains), each listing its first "
        << o.policy_hosts << " hosts.\n"
        << cli::LearnedPolicyText(policy);
    if (!out) return fail("policy", absl::InternalError(path));
  }
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << summary.dump(2) << "\n";
  }
  std::printf(
      "fill: done: hosts=%lld attestations=%lld distinct_logs=%lld groups=%lld seconds=%.1f "
      "(hosts %.1f, attestations %.1f = %.0f/s) size=%lld bytes (%.2f GiB) store=%s\n",
      static_cast<long long>(run.hosts), static_cast<long long>(run.attestations),
      static_cast<long long>(kChainCount), static_cast<long long>(kChainCount), seconds, hosts_s,
      attestations_s, summary["attestations_per_s"].get<double>(), static_cast<long long>(*size),
      static_cast<double>(*size) / (1024.0 * 1024 * 1024),
      o.postgres.empty() ? config.store().sqlite().path().c_str() : "postgresql");
  return 0;
}

// ---------------------------------------------------------------------------------------------
struct ReadOptions {
  std::string server;
  std::string data_dir;
  int64_t requests = 2000;
  int64_t warmup = 200;
  std::string json_out;
};

int Read(const ReadOptions& o) {
  if (!IsLoopbackTarget(o.server)) {
    std::fprintf(stderr, "read: refusing %s: only loopback servers\n", o.server.c_str());
    return 2;
  }
  auto manifest = ReadManifest(o.data_dir, true);
  if (!manifest.ok()) {
    std::fprintf(stderr, "read: %s\n", std::string(manifest.status().message()).c_str());
    return 2;
  }
  auto channel = grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  auto placement = v1::Placement::NewStub(channel);
  auto history = v1::History::NewStub(channel);
  std::mt19937_64 rng(42);
  const int64_t hosts = manifest->hosts();
  std::map<std::string, int64_t> errors;
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  auto deadline = [] { return std::chrono::system_clock::now() + kCallTimeout; };

  auto placement_get = [&](bool record, std::vector<double>& out) {
    const int64_t h = static_cast<int64_t>(rng() % static_cast<uint64_t>(hosts));
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::GetPlacementRequest r;
    r.set_host_id(HostId(h));
    v1::PlacementStatus status;
    const Clock::time_point t = Clock::now();
    const grpc::Status s = placement->Get(&ctx, r, &status);
    const double took = ms(Clock::now() - t);
    if (!record) return;
    if (!s.ok()) {
      ++errors[absl::StrCat("Placement.Get ", s.error_code())];
    } else if (!status.eligible() || status.verdict().host_id() != r.host_id()) {
      ++errors["Placement.Get not eligible"];
    } else {
      out.push_back(took);
    }
  };
  auto history_host = [&](bool record, std::vector<double>& out) {
    const int64_t h = static_cast<int64_t>(rng() % static_cast<uint64_t>(hosts));
    const Run* run = manifest->RunOf(h);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::ListAttestationsRequest r;
    r.set_host_id(HostId(h));
    r.set_page_size(50);
    v1::ListAttestationsResponse page;
    const Clock::time_point t = Clock::now();
    const grpc::Status s = history->List(&ctx, r, &page);
    const double took = ms(Clock::now() - t);
    if (!record) return;
    // At least what the fill wrote (capped at the page): an Attest since may have added one.
    const int64_t want = std::min<int64_t>(50, run != nullptr ? run->CountOf(h) : 0);
    if (!s.ok()) {
      ++errors[absl::StrCat("History.List(host) ", s.error_code())];
    } else if (page.attestations_size() < want) {
      ++errors["History.List(host) short page"];
    } else {
      out.push_back(took);
    }
  };
  auto history_group = [&](bool record, std::vector<double>& out) {
    const int64_t c = static_cast<int64_t>(rng() % kChainCount);
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline());
    v1::ListAttestationsRequest r;
    r.set_group(GroupOf(c));
    r.set_page_size(1);
    v1::ListAttestationsResponse page;
    const Clock::time_point t = Clock::now();
    const grpc::Status s = history->List(&ctx, r, &page);
    const double took = ms(Clock::now() - t);
    if (!record) return;
    if (!s.ok()) {
      ++errors[absl::StrCat("History.List(group) ", s.error_code())];
    } else if (page.attestations_size() != 1) {
      ++errors["History.List(group) empty"];
    } else {
      out.push_back(took);
    }
  };
  json report = {{"server", o.server}, {"hosts", hosts}, {"requests", o.requests}};
  struct Kind {
    const char* name;
    std::function<void(bool, std::vector<double>&)> call;
  };
  const Kind kinds[] = {{"placement_get", placement_get},
                        {"history_list_host_50", history_host},
                        {"history_list_group_latest", history_group}};
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::fprintf(stderr, "read: cannot connect to %s\n", o.server.c_str());
    return 1;
  }
  for (const Kind& k : kinds) {
    std::vector<double> latencies;
    for (int64_t i = 0; i < o.warmup; ++i) k.call(false, latencies);
    const Clock::time_point t = Clock::now();
    for (int64_t i = 0; i < o.requests; ++i) k.call(true, latencies);
    const double s = std::chrono::duration<double>(Clock::now() - t).count();
    json sum = Summary(latencies);
    sum["per_s"] = s > 0 ? static_cast<double>(latencies.size()) / s : 0;
    std::printf("read: %-26s %6zu calls  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  %.0f/s\n",
                k.name, latencies.size(), sum["p50_ms"].get<double>(), sum["p99_ms"].get<double>(),
                sum["max_ms"].get<double>(), sum["per_s"].get<double>());
    report[k.name] = sum;
  }
  int64_t error_count = 0;
  for (const auto& [what, n] : errors) {
    std::printf("read: error %s: %lld\n", what.c_str(), static_cast<long long>(n));
    error_count += n;
  }
  report["errors"] = errors;
  report["error_count"] = error_count;
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << report.dump(2) << "\n";
  }
  return error_count == 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
struct AttestOptions {
  std::string server;
  std::string data_dir;
  std::string host = "fleet-0000000";
  int64_t clock_offset_ms = 0;
};

int Attest(const AttestOptions& o) {
  if (!IsLoopbackTarget(o.server)) {
    std::fprintf(stderr, "attest: refusing %s: only loopback servers\n", o.server.c_str());
    return 2;
  }
  auto manifest = ReadManifest(o.data_dir, true);
  int64_t h = -1;
  if (!o.host.starts_with("fleet-") || !absl::SimpleAtoi(o.host.substr(6), &h)) h = -1;
  const Run* run = manifest.ok() && h >= 0 ? manifest->RunOf(h) : nullptr;
  if (run == nullptr) {
    std::fprintf(stderr, "attest: %s is not a filled host of %s\n", o.host.c_str(),
                 o.data_dir.c_str());
    return 2;
  }
  auto evidence = GoodHostEvidence::Load(BundleDir(h % kChainCount), AkKind::kEcdsaP256);
  auto ak = DeriveAk(h);
  if (!evidence.ok() || !ak.ok()) {
    std::fprintf(stderr, "attest: cannot make the host's evidence\n");
    return 1;
  }
  auto channel = grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  auto stub = v1::Attestation::NewStub(channel);
  grpc::ClientContext challenge_ctx;
  challenge_ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  v1::ChallengeRequest challenge;
  challenge.set_host_id(o.host);
  v1::ChallengeResponse issued;
  grpc::Status s = stub->Challenge(&challenge_ctx, challenge, &issued);
  if (!s.ok()) {
    std::fprintf(stderr, "attest: Challenge: %s\n", s.error_message().c_str());
    return 1;
  }
  auto nonce = server::QualifyingData(issued.token());
  if (!nonce.ok()) return 1;
  // The TPM clock moved on since the fill, as the host's real one would have.
  const int64_t clock = run->ClockMs(h, absl::ToUnixMicros(absl::Now())) + 1 + o.clock_offset_ms;
  const SignedQuote q = evidence->SignAs(ak->get(), GoodHostEvidence::TpmName(ak->get()), *nonce,
                                         static_cast<uint64_t>(clock));
  v1::AttestRequest request;
  request.set_host_id(o.host);
  request.set_token(issued.token());
  request.set_quote(Str(q.message));
  request.set_signature(Str(q.signature));
  request.set_event_log(Str(evidence->event_log()));
  grpc::ClientContext attest_ctx;
  attest_ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  v1::Verdict verdict;
  s = stub->Attest(&attest_ctx, request, &verdict);
  if (!s.ok()) {
    std::fprintf(stderr, "attest: Attest: %s\n", s.error_message().c_str());
    return 1;
  }
  std::printf("attest: %s: %s, %s, group %s, clock %lld ms", o.host.c_str(),
              v1::Tier_Name(verdict.tier()).c_str(),
              verdict.placement_eligible() ? "eligible" : "NOT eligible", verdict.group().c_str(),
              static_cast<long long>(clock));
  for (const v1::Finding& f : verdict.findings()) std::printf("; %s", f.code().c_str());
  std::printf("\n");
  return verdict.placement_eligible() ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// The statements as server/store/sql_store.cc builds them (kHostColumns, kAttestationColumns,
// the evidence columns and join, FilteredSelect, GetHostForAttest, HighestClockInfo,
// OpenRollbacks, EncodeLog, CountHostsByEligibility). Copies: keep them in step.
constexpr char kHostColumns[] =
    "host_id, host_group, ak_public, ak_name, registered_at_us, registered_by, trust_path,"
    " ek_fingerprint, status, status_changed_at_us, status_changed_by, status_reason,"
    " reenroll_allowed, reenroll_allowed_at_us, reenroll_allowed_by, reenroll_allowed_reason";
constexpr char kRollbackColumns[] =
    "id, host_id, ak_name, detected_at_us, code, seen, allowed, cleared_at_us, cleared_by,"
    " cleared_reason";
// "t.a, t.b, ..." of "a, b, ...".
std::string Qualified(std::string_view table, std::string_view columns) {
  std::vector<std::string> out;
  for (absl::string_view c :
       absl::StrSplit(absl::string_view(columns.data(), columns.size()), ',')) {
    out.push_back(absl::StrCat(std::string(table), ".", absl::StripAsciiWhitespace(c)));
  }
  return absl::StrJoin(out, ", ");
}
constexpr char kAttestationColumns[] =
    "id, host_id, host_group, received_at_us, token_id, tier, placement_eligible, policy_name,"
    " policy_version, expires_at_us, verdict_jwt, findings_json, ak_name, tpm_clock, reset_count,"
    " restart_count";

struct ExplainOptions {
  std::string data_dir;
  std::string postgres;
};

int Explain(const ExplainOptions& o) {
  auto manifest = ReadManifest(o.data_dir, true);
  if (!manifest.ok()) {
    std::fprintf(stderr, "explain: %s\n", std::string(manifest.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<st::internal::SqlConnection>> conn;
  if (o.postgres.empty()) {
    conn = st::internal::OpenSqliteConnection(o.data_dir + "/bootgate.db");
  } else {
#ifdef BOOTGATE_HAVE_POSTGRES
    if (absl::Status s = CheckLoopbackPostgres(o.postgres); !s.ok()) {
      std::fprintf(stderr, "explain: %s\n", std::string(s.message()).c_str());
      return 2;
    }
    conn = st::internal::OpenPostgresConnection(o.postgres);
#endif
  }
  if (!conn.ok()) {
    std::fprintf(stderr, "explain: %s\n", std::string(conn.status().message()).c_str());
    return 1;
  }
  const bool sqlite = o.postgres.empty();
  const int64_t h = manifest->hosts() / 2;
  const std::string host = HostId(h);
  auto ak = DeriveAk(h);
  auto key = ak.ok() ? KeyOf(ak->get()) : absl::StatusOr<HostKey>(ak.status());
  if (!key.ok()) return 1;
  auto digest = st::internal::LogDigest("x");
  const std::string with_evidence =
      absl::StrCat("SELECT ", kAttestationColumns, ", quote_msg, quote_sig, quote_pcrs, ",
                   st::internal::kLogColumns, " FROM attestations", st::internal::kLogJoin);
  using P = st::internal::SqlParam;
  struct Statement {
    std::string what;
    std::string sql;
    std::vector<P> params;
  };
  const std::vector<Statement> statements = {
      {"Challenge: the host (GetHost; on PostgreSQL a Challenge's is grouped with "
       "concurrent ones: host_id IN ($1, ..))",
       absl::StrCat("SELECT ", kHostColumns, " FROM hosts WHERE host_id IN ($1)"),
       {P(host)}},
      {"Placement.Get: the host and its latest verdict, no evidence (LatestVerdict)",
       absl::StrCat("SELECT ", Qualified("a", kAttestationColumns),
                    st::internal::kHostsWithLatestAttestation, " WHERE h.host_id = $1"),
       {P(host)}},
      {"re-appraisal: a host's latest attestation, with evidence (LatestAttestation)",
       absl::StrCat(with_evidence, " WHERE host_id = $1 ORDER BY id DESC LIMIT 1"),
       {P(host)}},
      {"History.List of one host, page of 50 (ListAttestations)",
       absl::StrCat("SELECT ", kAttestationColumns,
                    " FROM attestations WHERE 1 = 1 AND host_id = $1 ORDER BY id DESC LIMIT $2"),
       {P(host), P(int64_t{51})}},
      {"Latest verdict of a group: History.List by group, page of 1 (ListAttestations)",
       absl::StrCat("SELECT ", kAttestationColumns,
                    " FROM attestations WHERE 1 = 1 AND host_group = $1 ORDER BY id DESC LIMIT $2"),
       {P(GroupOf(0)), P(int64_t{2})}},
      {"Attest: the host, its AK's highest counters, its open rollbacks (GetHostForAttest; "
       "grouped as GetHost)",
       absl::StrCat("SELECT ", Qualified("h", kHostColumns),
                    ", c.tpm_clock, c.reset_count, c.restart_count, ",
                    Qualified("r", kRollbackColumns),
                    " FROM hosts h LEFT JOIN tpm_counters c ON c.ak_name = h.ak_name"
                    " LEFT JOIN tpm_rollbacks r ON r.host_id = h.host_id AND r.cleared_at_us = 0"
                    " WHERE h.host_id IN ($1) ORDER BY r.id"),
       {P(host)}},
      {"the AK's rollback baseline alone (HighestClockInfo)",
       "SELECT tpm_clock, reset_count, restart_count FROM tpm_counters WHERE ak_name = $1",
       {P(st::internal::Bytes{key->fingerprint})}},
      {"the host's open rollbacks alone (OpenRollbacks)",
       absl::StrCat("SELECT ", kRollbackColumns,
                    " FROM tpm_rollbacks WHERE host_id = $1 AND cleared_at_us = 0 ORDER BY id"),
       {P(host)}},
      {"Attest: is the log stored already (EncodeLog)",
       "SELECT 1 FROM evidence_logs WHERE digest = $1",
       {P(st::internal::Bytes{digest.ok() ? *digest : std::string(32, '\0')})}},
      {"metrics scrape: hosts by group and eligibility (CountHostsByEligibility): a pass over "
       "every host",
       absl::StrCat("SELECT COALESCE(a.host_group, h.host_group) AS grp,"
                    " CASE WHEN a.placement_eligible AND a.expires_at_us > $1 THEN 1 ELSE 0 END"
                    " AS ok, COUNT(*)",
                    st::internal::kHostsWithLatestAttestation,
                    " GROUP BY grp, ok ORDER BY grp, ok"),
       {P(absl::ToUnixMicros(absl::Now()))}},
  };
  int status = 0;
  for (const Statement& st : statements) {
    std::printf("### %s\n```\n", st.what.c_str());
    auto rows = (*conn)->Query(absl::StrCat(sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ", st.sql),
                               st.params);
    if (!rows.ok()) {
      std::printf("(failed: %s)\n", std::string(rows.status().message()).c_str());
      status = 1;
    } else if (sqlite) {
      // id, parent, notused, detail: indent each step under its parent.
      std::map<int64_t, int> depth;
      for (const st::internal::SqlRow& row : *rows) {
        const int d = depth.contains(row.Int(1)) ? depth[row.Int(1)] + 1 : 0;
        depth[row.Int(0)] = d;
        std::printf("%s%s\n", std::string(2 * d, ' ').c_str(), row.Str(3).c_str());
      }
    } else {
      for (const st::internal::SqlRow& row : *rows) std::printf("%s\n", row.Str(0).c_str());
    }
    std::printf("```\n");
  }
  return status;
}

}  // namespace
}  // namespace bootgate::bench

int main(int argc, char** argv) {
  using namespace bootgate::bench;
  CLI::App app{"fill a bootgate store with a fleet, and measure reads on it (loopback only)"};
  app.require_subcommand(1);

  FillOptions fill;
  CLI::App* f = app.add_subcommand("fill", "fill the store of --data-dir (or --postgres)");
  f->add_option("--data-dir", fill.data_dir, "bootgated's data dir: SQLite store, signing keys")
      ->required();
  f->add_option("--postgres", fill.postgres, "PostgreSQL conninfo (loopback) instead of SQLite");
  f->add_option("--hosts", fill.hosts, "enrolled hosts")
      ->check(CLI::Range(int64_t{1}, int64_t{9'999'999}));
  f->add_option("--attestations", fill.attestations, "attestations, round-robin over the hosts")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000'000}));
  f->add_flag("--append", fill.append, "add hosts after those fleet.json lists");
  f->add_option("--verdict-ttl", fill.ttl_s, "each group's verdict_ttl, seconds (30 days)")
      ->check(CLI::Range(int64_t{60}, int64_t{10} * 365 * 86400));
  f->add_option("--policy-hosts", fill.policy_hosts, "hosts the written policy lists per group")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  f->add_option("--threads", fill.threads, "row-making threads (default: the CPUs)");
  f->add_option("--cache-mb", fill.cache_mb, "SQLite page cache of the fill's connection, MiB")
      ->check(CLI::Range(int64_t{16}, int64_t{65536}));
  f->add_option("--transaction-rows", fill.transaction_rows,
                "SQLite: attestations per transaction of the fill's connection")
      ->check(CLI::Range(int64_t{1000}, int64_t{1'000'000'000}));
  f->add_flag("--sign-all", fill.sign_all,
              "sign every row's quote and JWT (default: each host's latest; the others carry "
              "their chain's template signature and JWT)");
  f->add_option("--json", fill.json_out, "also write the summary as JSON to FILE");

  ReadOptions read;
  CLI::App* r = app.add_subcommand("read", "Placement.Get / History.List latencies");
  r->add_option("--server", read.server, "bootgated gRPC address, loopback")->required();
  r->add_option("--data-dir", read.data_dir, "the filled data dir (its fleet.json)")->required();
  r->add_option("--requests", read.requests, "calls of each kind")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  r->add_option("--warmup", read.warmup, "uncounted calls of each kind first");
  r->add_option("--json", read.json_out, "also write the figures as JSON to FILE");

  AttestOptions attest;
  CLI::App* a = app.add_subcommand("attest", "Challenge + Attest as a filled host");
  a->add_option("--server", attest.server, "bootgated gRPC address, loopback")->required();
  a->add_option("--data-dir", attest.data_dir, "the filled data dir (its fleet.json)")->required();
  a->add_option("--host", attest.host, "filled host id (listed in the policy)");
  a->add_option("--clock-offset-ms", attest.clock_offset_ms,
                "added to the TPM clock (negative: below the stored baseline, a rollback)");

  ExplainOptions explain;
  CLI::App* e = app.add_subcommand("explain", "query plans of the reads and an Attest's lookups");
  e->add_option("--data-dir", explain.data_dir, "the filled data dir")->required();
  e->add_option("--postgres", explain.postgres, "PostgreSQL conninfo (loopback)");

  CLI11_PARSE(app, argc, argv);
  if (f->parsed()) return Fill(fill);
  if (r->parsed()) return Read(read);
  if (a->parsed()) return Attest(attest);
  return Explain(explain);
}
