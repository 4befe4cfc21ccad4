// The store test suite: every case runs on the backend TestDatabase selects (SQLite here,
// PostgreSQL from tests/integration/store_postgres_test.sh), with the same expectations.
#include "server/store/store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <latch>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/migrations.h"
#include "tests/unit/store/test_database.h"

namespace bootgate::server::store {
namespace {

using testing::TestDatabase;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

Host MakeHost(const std::string& id, const std::string& group = "rack-1") {
  Host h;
  h.host_id = id;
  h.group = group;
  h.ak_public = std::string("-----BEGIN PUBLIC KEY-----\n\x01\x00\xff", 31);
  h.ak_name = std::string("\x00\x0b\xaa\xbb", 4);
  h.registered_at = kT0;
  h.registered_by = "admin@example";
  return h;
}

// A caught reset-count rollback of `host`'s AK `ak`, detected at kT0.
TpmRollback MakeResetRollback(const std::string& host, const std::string& ak) {
  TpmRollback r;
  r.host_id = host;
  r.ak_name = ak;
  r.detected_at = kT0;
  r.code = "reset-count-decreased";
  r.seen = "resetCount 6";
  r.allowed = "at least resetCount 7";
  return r;
}

Attestation MakeAttestation(const std::string& host, const std::string& token,
                            absl::Time received = kT0) {
  Attestation a;
  a.host_id = host;
  a.group = "rack-1";
  a.received_at = received;
  a.token_id = token;
  a.tier = "affirming";
  a.placement_eligible = true;
  a.policy_name = "debian-12";
  a.policy_version = 3;
  a.expires_at = received + absl::Minutes(10);
  a.verdict_jwt = "eyJhbGciOiJFUzI1NiJ9.e30.sig";
  a.findings_json = "[]";
  a.ak_name = std::string("\x00\x0b\xaa\xbb", 4);
  a.evidence.quote_msg = std::string("\xff\x54\x43\x47\x80\x18\x00", 7);
  a.evidence.quote_sig = std::string(300, '\x00');
  a.evidence.quote_pcrs = "";
  a.evidence.event_log = std::string("\x00\x01\x02\x03", 4);
  a.clock_info.clock = 0xfedcba9876543210ULL;  // above INT64_MAX: kept bit for bit
  a.clock_info.reset_count = 4000000000U;
  a.clock_info.restart_count = 7;
  return a;
}

// Records each of `writes` from a thread of its own, all released at once so that they share
// group commits; one result per write, in order.
std::vector<absl::StatusOr<int64_t>> RecordTogether(Store& store,
                                                    const std::vector<Attestation>& writes) {
  std::vector<absl::StatusOr<int64_t>> results(writes.size(), absl::UnknownError("not run"));
  std::latch start(static_cast<std::ptrdiff_t>(writes.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < writes.size(); ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = store.RecordAttestation(writes[i]);
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

void RequireSameAttestation(const Attestation& got, const Attestation& want) {
  CHECK(got.host_id == want.host_id);
  CHECK(got.group == want.group);
  CHECK(got.received_at == want.received_at);
  CHECK(got.token_id == want.token_id);
  CHECK(got.tier == want.tier);
  CHECK(got.placement_eligible == want.placement_eligible);
  CHECK(got.policy_name == want.policy_name);
  CHECK(got.policy_version == want.policy_version);
  CHECK(got.expires_at == want.expires_at);
  CHECK(got.verdict_jwt == want.verdict_jwt);
  CHECK(got.findings_json == want.findings_json);
  CHECK(got.ak_name == want.ak_name);
  CHECK(got.clock_info.clock == want.clock_info.clock);
  CHECK(got.clock_info.reset_count == want.clock_info.reset_count);
  CHECK(got.clock_info.restart_count == want.clock_info.restart_count);
}

TEST_CASE("store opens a fresh database at the newest schema with durable settings", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  const int64_t newest = internal::NewestVersion(internal::EmbeddedMigrations(), db.dialect());
  CHECK(newest >= 1);
  CHECK(store->SchemaVersion() == newest);

  auto settings = store->Durability();
  REQUIRE(settings.ok());
  CHECK(settings->durable);
  if (db.is_postgres()) {
    CHECK(settings->backend == "postgresql");
    CHECK(settings->values.at("synchronous_commit") == "on");
    CHECK(settings->values.at("fsync") == "on");
  } else {
    CHECK(settings->backend == "sqlite");
    CHECK(settings->values.at("journal_mode") == "wal");
    CHECK(settings->values.at("synchronous") == "2");  // FULL
    CHECK(settings->values.at("foreign_keys") == "1");
    CHECK(settings->values.at("busy_timeout") != "0");
  }
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("both dialects know the same schema versions", "[store]") {
  const auto migrations = internal::EmbeddedMigrations();
  CHECK(internal::NewestVersion(migrations, "sqlite") ==
        internal::NewestVersion(migrations, "postgresql"));
}

TEST_CASE("store refuses to open a database whose schema is newer than it knows", "[store]") {
  TestDatabase db;
  const int64_t newest = db.Open()->SchemaVersion();
  {
    auto raw = db.Raw();
    const internal::SqlParam params[] = {newest + 6, int64_t{0}};
    REQUIRE(
        raw->Query("INSERT INTO schema_version (version, applied_at_us) VALUES ($1, $2)", params)
            .ok());
  }
  auto reopened = OpenStore(db.url());
  REQUIRE(absl::IsFailedPrecondition(reopened.status()));
  CHECK(std::string(reopened.status().message()) ==
        absl::StrCat("database schema version ", newest + 6,
                     " is newer than this bootgated knows (", newest, "): upgrade bootgated"));
}

TEST_CASE("store reopens a database keeping its data and version", "[store]") {
  TestDatabase db;
  int64_t id = 0;
  {
    auto store = db.Open();
    REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
    auto recorded = store->RecordAttestation(MakeAttestation("h1", "tok-1"));
    REQUIRE(recorded.ok());
    id = *recorded;
  }
  auto store = db.Open();
  auto got = store->GetAttestation(id);
  REQUIRE(got.ok());
  CHECK(got->token_id == "tok-1");
}

TEST_CASE("replicas opening a fresh database together migrate it once", "[store]") {
  TestDatabase db;
  constexpr int kOpeners = 4;
  std::vector<absl::Status> results(kOpeners);
  std::latch start(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = OpenStore(db.url()).status();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : results) CHECK(s.ok());
  auto raw = db.Raw();
  auto rows = raw->Query("SELECT COUNT(*) FROM schema_version", {});
  REQUIRE(rows.ok());
  CHECK(rows->at(0).Int(0) == db.Open()->SchemaVersion());
}

TEST_CASE("store registers a host and refuses a duplicate unless asked to replace", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  const Host h = MakeHost("host-a");
  REQUIRE(store->RegisterHost(h, false).ok());

  auto got = store->GetHost("host-a");
  REQUIRE(got.ok());
  CHECK(got->group == h.group);
  CHECK(got->ak_public == h.ak_public);
  CHECK(got->ak_name == h.ak_name);
  CHECK(got->registered_at == h.registered_at);
  CHECK(got->registered_by == h.registered_by);
  CHECK(got->trust_path == kTrustPathAdminRegistered);

  Host moved = MakeHost("host-a", "rack-2");
  moved.ak_name = "other-ak";
  const absl::Status dup = store->RegisterHost(moved, false);
  CHECK(absl::IsAlreadyExists(dup));
  CHECK(std::string(dup.message()).find("host-a") != std::string::npos);
  CHECK(store->GetHost("host-a")->group == "rack-1");

  REQUIRE(store->RegisterHost(moved, true).ok());
  CHECK(store->GetHost("host-a")->group == "rack-2");
  CHECK(store->GetHost("host-a")->ak_name == "other-ak");

  CHECK(absl::IsNotFound(store->GetHost("nobody").status()));
  CHECK(absl::IsInvalidArgument(store->RegisterHost(MakeHost(""), false)));
  CHECK(absl::IsInvalidArgument(store->RegisterHost(MakeHost("x", ""), false)));
}

TEST_CASE("store keeps an attestation field by field, evidence bytes included", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  const Attestation a = MakeAttestation("h1", std::string("tok\x00\xff", 5));
  auto id = store->RecordAttestation(a);
  REQUIRE(id.ok());
  CHECK(*id > 0);

  auto got = store->GetAttestation(*id);
  REQUIRE(got.ok());
  CHECK(got->id == *id);
  RequireSameAttestation(*got, a);
  CHECK(got->evidence.quote_msg == a.evidence.quote_msg);
  CHECK(got->evidence.quote_sig == a.evidence.quote_sig);
  CHECK(got->evidence.quote_pcrs.empty());
  CHECK(got->evidence.event_log == a.evidence.event_log);

  Attestation bad = MakeAttestation("h1", "tok-2", kT0 + absl::Seconds(5));
  bad.tier = "contraindicated";
  bad.placement_eligible = false;
  auto id2 = store->RecordAttestation(bad);
  REQUIRE(id2.ok());
  CHECK(*id2 > *id);
  auto latest = store->LatestAttestation("h1");
  REQUIRE(latest.ok());
  CHECK(latest->id == *id2);
  CHECK_FALSE(latest->placement_eligible);
  CHECK(latest->tier == "contraindicated");

  CHECK(absl::IsNotFound(store->GetAttestation(*id2 + 1000).status()));
  CHECK(absl::IsNotFound(store->LatestAttestation("nobody").status()));
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("LatestVerdict: the host's latest attestation without evidence, nullopt, NotFound",
          "[store]") {
  TestDatabase db;
  auto store = db.Open();
  CHECK(absl::IsNotFound(store->LatestVerdict("nobody").status()));
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("h2"), false).ok());
  auto none = store->LatestVerdict("h1");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  const Attestation first = MakeAttestation("h1", "tok-1");
  Attestation second = MakeAttestation("h1", "tok-2", kT0 + absl::Seconds(5));
  second.tier = "contraindicated";
  second.placement_eligible = false;
  const Attestation other = MakeAttestation("h2", "tok-3", kT0 + absl::Seconds(9));
  REQUIRE(store->RecordAttestation(first).ok());
  auto second_id = store->RecordAttestation(second);
  REQUIRE(second_id.ok());
  REQUIRE(store->RecordAttestation(other).ok());  // another host's, newer

  auto latest = store->LatestVerdict("h1");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  const Attestation& got = **latest;
  CHECK(got.id == *second_id);
  RequireSameAttestation(got, second);
  CHECK(got.evidence.quote_msg.empty());
  CHECK(got.evidence.event_log.empty());
}

TEST_CASE("VerdictIfLatest: an attestation without evidence while its host's latest, else nullopt",
          "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("h2"), false).ok());
  const Attestation first = MakeAttestation("h1", "tok-1");
  const Attestation second = MakeAttestation("h1", "tok-2", kT0 + absl::Seconds(5));
  const Attestation other = MakeAttestation("h2", "tok-3", kT0 + absl::Seconds(9));
  auto first_id = store->RecordAttestation(first);
  REQUIRE(first_id.ok());
  auto first_latest = store->VerdictIfLatest(*first_id);
  REQUIRE(first_latest.ok());
  REQUIRE(first_latest->has_value());
  CHECK((*first_latest)->id == *first_id);

  auto second_id = store->RecordAttestation(second);
  auto other_id = store->RecordAttestation(other);  // another host's, newer: no effect on h1
  REQUIRE(second_id.ok());
  REQUIRE(other_id.ok());
  auto superseded = store->VerdictIfLatest(*first_id);
  REQUIRE(superseded.ok());
  CHECK_FALSE(superseded->has_value());
  auto latest = store->VerdictIfLatest(*second_id);
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->id == *second_id);
  RequireSameAttestation(**latest, second);
  CHECK((*latest)->evidence.quote_msg.empty());
  CHECK((*latest)->evidence.event_log.empty());
  auto other_latest = store->VerdictIfLatest(*other_id);
  REQUIRE(other_latest.ok());
  CHECK(other_latest->has_value());

  auto missing = store->VerdictIfLatest(*other_id + 1000);
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("ListHosts returns every registered host by id, with or without attestations",
          "[store]") {
  TestDatabase db;
  auto store = db.Open();
  auto none = store->ListHosts();
  REQUIRE(none.ok());
  CHECK(none->empty());
  REQUIRE(store->RegisterHost(MakeHost("host-c", "rack-2"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("host-a"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("host-b"), false).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("host-b", "tok-b")).ok());
  auto hosts = store->ListHosts();
  REQUIRE(hosts.ok());
  REQUIRE(hosts->size() == 3);
  CHECK((*hosts)[0].host_id == "host-a");
  CHECK((*hosts)[1].host_id == "host-b");
  CHECK((*hosts)[2].host_id == "host-c");
  CHECK((*hosts)[2].group == "rack-2");
  CHECK((*hosts)[0].ak_public == MakeHost("x").ak_public);
}

TEST_CASE("GetAttestationByToken finds a record by its token id, evidence included", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  const Attestation first = MakeAttestation("h1", "aa11");
  const Attestation second = MakeAttestation("h1", "bb22", kT0 + absl::Seconds(1));
  auto id1 = store->RecordAttestation(first);
  auto id2 = store->RecordAttestation(second);
  REQUIRE(id1.ok());
  REQUIRE(id2.ok());
  auto got = store->GetAttestationByToken("aa11");
  REQUIRE(got.ok());
  CHECK(got->id == *id1);
  RequireSameAttestation(*got, first);
  CHECK(got->evidence.event_log == first.evidence.event_log);
  auto got2 = store->GetAttestationByToken("bb22");
  REQUIRE(got2.ok());
  CHECK(got2->id == *id2);
  CHECK(absl::IsNotFound(store->GetAttestationByToken("cc33").status()));
  CHECK(absl::IsNotFound(store->GetAttestationByToken("").status()));
}

TEST_CASE("store refuses a reused challenge token and keeps the first record", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("h2"), false).ok());
  auto first = store->RecordAttestation(MakeAttestation("h1", "once"));
  REQUIRE(first.ok());
  Attestation replay = MakeAttestation("h2", "once");
  replay.tier = "warning";
  auto second = store->RecordAttestation(replay);
  CHECK(absl::IsAlreadyExists(second.status()));
  CHECK(absl::IsNotFound(store->LatestAttestation("h2").status()));
  CHECK(store->GetAttestation(*first)->tier == "affirming");
}

TEST_CASE("store refuses attestations it cannot attribute", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  CHECK(absl::IsFailedPrecondition(
      store->RecordAttestation(MakeAttestation("unregistered", "t1")).status()));
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  CHECK(absl::IsInvalidArgument(store->RecordAttestation(MakeAttestation("h1", "")).status()));
  CHECK(absl::IsInvalidArgument(store->RecordAttestation(MakeAttestation("", "t2")).status()));
  // The refused token was not consumed.
  CHECK(store->RecordAttestation(MakeAttestation("h1", "t1")).ok());
  auto page = store->ListAttestations({});
  REQUIRE(page.ok());
  CHECK(page->attestations.size() == 1);
}

TEST_CASE("GetHostForAttest is GetHost, HighestClockInfo and OpenRollbacks in one read",
          "[store]") {
  TestDatabase db;
  auto store = db.Open();
  CHECK(absl::IsNotFound(store->GetHostForAttest("nobody").status()));
  Host h1 = MakeHost("h1");
  h1.ak_name = "ak-1";
  REQUIRE(store->RegisterHost(h1, false).ok());
  REQUIRE(store->RegisterHost(MakeHost("h2"), false).ok());
  // The separate reads are the reference: the joined one must say the same at every step.
  auto same_as_separate_reads = [&](const std::string& host_id) {
    auto joined = store->GetHostForAttest(host_id);
    REQUIRE(joined.ok());
    auto host = store->GetHost(host_id);
    REQUIRE(host.ok());
    CHECK(joined->host.host_id == host->host_id);
    CHECK(joined->host.ak_public == host->ak_public);
    CHECK(joined->host.ak_name == host->ak_name);
    CHECK(joined->host.status == host->status);
    CHECK(joined->host.registered_at == host->registered_at);
    CHECK(joined->host.reenroll_allowed_reason == host->reenroll_allowed_reason);
    auto highest = store->HighestClockInfo(host->ak_name);
    REQUIRE(highest.ok());
    REQUIRE(joined->rollback.highest.has_value() == highest->has_value());
    if (highest->has_value()) {
      CHECK(joined->rollback.highest->clock == (*highest)->clock);
      CHECK(joined->rollback.highest->reset_count == (*highest)->reset_count);
      CHECK(joined->rollback.highest->restart_count == (*highest)->restart_count);
    }
    auto open = store->OpenRollbacks(host_id);
    REQUIRE(open.ok());
    REQUIRE(joined->rollback.open.size() == open->size());
    for (size_t i = 0; i < open->size(); ++i) {
      CHECK(joined->rollback.open[i].id == open->at(i).id);
      CHECK(joined->rollback.open[i].code == open->at(i).code);
      CHECK(joined->rollback.open[i].detected_at == open->at(i).detected_at);
      CHECK(joined->rollback.open[i].allowed == open->at(i).allowed);
    }
    return *joined;
  };
  HostForAttest fresh = same_as_separate_reads("h1");
  CHECK(!fresh.rollback.highest.has_value());
  CHECK(fresh.rollback.open.empty());

  Attestation a = MakeAttestation("h1", "t1");
  a.ak_name = "ak-1";
  a.clock_info = {0xfedcba9876543210ULL, 4000000000U, 3};
  REQUIRE(store->RecordAttestation(a).ok());
  HostForAttest attested = same_as_separate_reads("h1");
  REQUIRE(attested.rollback.highest.has_value());
  CHECK(attested.rollback.highest->clock == 0xfedcba9876543210ULL);
  CHECK(attested.rollback.highest->reset_count == 4000000000U);

  TpmRollback r = MakeResetRollback("h1", "ak-1");
  REQUIRE(store->RecordRollback(r).ok());
  r.detected_at = kT0 + absl::Seconds(5);
  r.code = "restart-count-decreased";
  REQUIRE(store->RecordRollback(r).ok());
  HostForAttest caught = same_as_separate_reads("h1");
  REQUIRE(caught.rollback.open.size() == 2);
  CHECK(caught.rollback.open[0].code == "reset-count-decreased");
  CHECK(same_as_separate_reads("h2").rollback.open.empty());

  REQUIRE(store->ClearRollbacks("h1", "admin", "replaced the board", kT0).ok());
  HostForAttest cleared = same_as_separate_reads("h1");
  CHECK(cleared.rollback.open.empty());
  CHECK(!cleared.rollback.highest.has_value());
}

TEST_CASE("concurrent host reads each get their own host, whatever reads they share", "[store]") {
  // PostgreSQL groups concurrent reads into one query (host_id IN (...)): every caller must
  // still get the host it named, with that host's counters and rollbacks only, once each, also
  // when other callers named the same host in the same query.
  TestDatabase db;
  auto store = db.Open();
  constexpr int kHosts = 8;
  for (int i = 0; i < kHosts; ++i) {
    const std::string id = absl::StrCat("g", i);
    Host h = MakeHost(id, absl::StrCat("rack-", i));
    h.ak_name = absl::StrCat("ak-", id);
    REQUIRE(store->RegisterHost(h, false).ok());
    if (i % 2 == 0) {
      Attestation a = MakeAttestation(id, absl::StrCat("t-", id));
      a.ak_name = h.ak_name;
      a.clock_info = {1000, static_cast<uint32_t>(100 + i), 1};
      REQUIRE(store->RecordAttestation(a).ok());
    }
    for (int r = 0; r < i % 3; ++r) {
      REQUIRE(store->RecordRollback(MakeResetRollback(id, h.ak_name)).ok());
    }
  }
  constexpr int kReaders = 24;  // three per host, and every fourth one an unknown host
  std::latch start(kReaders);
  std::vector<std::thread> readers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      const int i = t % kHosts;
      const bool unknown = t % 4 == 3;
      const std::string id = unknown ? absl::StrCat("nobody-", t) : absl::StrCat("g", i);
      start.arrive_and_wait();
      for (int round = 0; round < 20; ++round) {
        auto host = store->GetHost(id);
        auto joined = store->GetHostForAttest(id);
        if (unknown) {
          if (!absl::IsNotFound(host.status()) || !absl::IsNotFound(joined.status())) ++wrong;
          continue;
        }
        if (!host.ok() || !joined.ok() || host->host_id != id ||
            host->group != absl::StrCat("rack-", i) || joined->host.host_id != id ||
            joined->host.ak_name != absl::StrCat("ak-", id) ||
            joined->rollback.open.size() != static_cast<size_t>(i % 3) ||
            joined->rollback.highest.has_value() != (i % 2 == 0) ||
            (i % 2 == 0 && joined->rollback.highest->reset_count != 100u + i)) {
          ++wrong;
          continue;
        }
        for (const TpmRollback& r : joined->rollback.open) {
          if (r.host_id != id) ++wrong;
        }
      }
    });
  }
  for (auto& t : readers) t.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("a failing record in a group commit fails alone: the others are stored once", "[store]") {
  // Writers started together share batches: an unregistered host's record makes its batch
  // roll back and run again with a savepoint per record (SqlStore::CommitBatch).
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  constexpr int kWriters = 16;
  std::vector<Attestation> writes;
  for (int i = 0; i < kWriters; ++i) {
    writes.push_back(
        MakeAttestation(i % 4 == 0 ? "unregistered" : "h1", absl::StrCat("mixed-", i)));
  }
  const std::vector<absl::StatusOr<int64_t>> results = RecordTogether(*store, writes);
  for (int i = 0; i < kWriters; ++i) {
    INFO(i << ": " << results[i].status().ToString());
    if (i % 4 == 0) {
      CHECK(absl::IsFailedPrecondition(results[i].status()));
    } else {
      REQUIRE(results[i].ok());
      CHECK(store->GetAttestation(*results[i])->token_id == absl::StrCat("mixed-", i));
    }
  }
  auto page = store->ListAttestations({});
  REQUIRE(page.ok());
  CHECK(page->attestations.size() == kWriters - kWriters / 4);
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("16 concurrent writers on two replicas with one token: exactly one is stored",
          "[store]") {
  TestDatabase db;
  auto replica_a = db.Open();
  auto replica_b = db.Open();
  REQUIRE(replica_a->RegisterHost(MakeHost("h1"), false).ok());
  for (int round = 0; round < 3; ++round) {
    constexpr int kWriters = 16;
    const std::string token = absl::StrCat("contended-", round);
    std::vector<absl::StatusOr<int64_t>> results(kWriters, absl::UnknownError("not run"));
    std::latch start(kWriters);
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i) {
      threads.emplace_back([&, i] {
        Store& replica = (i % 2 == 0) ? *replica_a : *replica_b;
        const Attestation a = MakeAttestation("h1", token);
        start.arrive_and_wait();
        results[i] = replica.RecordAttestation(a);
      });
    }
    for (auto& t : threads) t.join();
    int ok = 0, reused = 0;
    for (const auto& r : results) {
      INFO(r.status().ToString());
      CHECK((r.ok() || absl::IsAlreadyExists(r.status())));
      ok += r.ok();
      reused += absl::IsAlreadyExists(r.status());
    }
    CHECK(ok == 1);
    CHECK(reused == kWriters - 1);
  }
  auto page = replica_b->ListAttestations({});
  REQUIRE(page.ok());
  CHECK(page->attestations.size() == 3);
  CHECK(replica_a->CheckIntegrity().ok());
}

TEST_CASE("group commit: each writer returns after its record is committed and visible",
          "[store]") {
  TestDatabase db;
  auto writer = db.Open();
  auto reader = db.Open();  // another replica: sees only committed rows
  REQUIRE(writer->RegisterHost(MakeHost("h1"), false).ok());
  constexpr int kThreads = 16;
  constexpr int kPerThread = 8;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::atomic<int> failures{0};
  std::atomic<int> invisible{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        auto id = writer->RecordAttestation(MakeAttestation("h1", absl::StrCat("g-", t, "-", i)));
        if (!id.ok()) {
          ++failures;
          continue;
        }
        ids[t].push_back(*id);
        auto seen = reader->GetAttestation(*id);
        if (!seen.ok() || seen->token_id != absl::StrCat("g-", t, "-", i)) ++invisible;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(invisible == 0);
  std::set<int64_t> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  CHECK(unique.size() == kThreads * kPerThread);
  const WriteStats stats = writer->write_stats();
  CHECK(stats.records == kThreads * kPerThread);
  CHECK(stats.batches >= 1);
  CHECK(stats.batches <= stats.records);
}

TEST_CASE("ListAttestations pages newest first through every match", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  std::vector<int64_t> want;
  for (int i = 0; i < 25; ++i) {
    auto id = store->RecordAttestation(
        MakeAttestation("h1", absl::StrCat("p", i), kT0 + absl::Seconds(i)));
    REQUIRE(id.ok());
    want.push_back(*id);
  }
  std::reverse(want.begin(), want.end());

  AttestationFilter filter;
  filter.page_size = 10;
  std::vector<int64_t> got;
  std::vector<size_t> sizes;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store->ListAttestations(filter);
    REQUIRE(page.ok());
    sizes.push_back(page->attestations.size());
    for (const auto& a : page->attestations) {
      got.push_back(a.id);
      CHECK(a.evidence.event_log.empty());  // List leaves the evidence out unless asked
    }
    if (page->next_page_token.empty()) break;
    filter.page_token = page->next_page_token;
  }
  CHECK(got == want);
  CHECK(sizes == std::vector<size_t>{10, 10, 5});

  filter = {};
  filter.page_size = 25;  // exactly all: no next page
  filter.include_evidence = true;
  auto all = store->ListAttestations(filter);
  REQUIRE(all.ok());
  CHECK(all->attestations.size() == 25);
  CHECK(all->next_page_token.empty());
  CHECK(all->attestations[0].evidence.event_log == MakeAttestation("h1", "x").evidence.event_log);
}

TEST_CASE("ListAttestations rejects malformed page tokens and sizes", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  for (const char* token : {"abc", "-3", "0", "12x", "99999999999999999999"}) {
    AttestationFilter f;
    f.page_token = token;
    INFO(token);
    CHECK(absl::IsInvalidArgument(store->ListAttestations(f).status()));
  }
  AttestationFilter f;
  f.page_size = -1;
  CHECK(absl::IsInvalidArgument(store->ListAttestations(f).status()));
  f.page_size = 1'000'000;  // capped, not refused
  CHECK(store->ListAttestations(f).ok());
}

TEST_CASE("ListAttestations filters by host, group, tier and time range", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("a1", "rack-1"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("a2", "rack-1"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("b1", "rack-2"), false).ok());
  // a1 at t0+0,10,20 (the last contraindicated), a2 at t0+5, b1 at t0+15.
  auto record = [&](const std::string& host, const std::string& group, int sec,
                    const std::string& tier) {
    Attestation a = MakeAttestation(host, absl::StrCat(host, "-", sec), kT0 + absl::Seconds(sec));
    a.group = group;
    a.tier = tier;
    REQUIRE(store->RecordAttestation(a).ok());
  };
  record("a1", "rack-1", 0, "affirming");
  record("a2", "rack-1", 5, "affirming");
  record("a1", "rack-1", 10, "warning");
  record("b1", "rack-2", 15, "affirming");
  record("a1", "rack-1", 20, "contraindicated");

  auto tokens = [&](const AttestationFilter& f) {
    auto page = store->ListAttestations(f);
    REQUIRE(page.ok());
    std::vector<std::string> out;
    for (const auto& a : page->attestations) out.push_back(a.token_id);
    return out;
  };
  AttestationFilter f;
  f.host_id = "a1";
  CHECK(tokens(f) == std::vector<std::string>{"a1-20", "a1-10", "a1-0"});
  f = {};
  f.group = "rack-1";
  CHECK(tokens(f) == std::vector<std::string>{"a1-20", "a1-10", "a2-5", "a1-0"});
  f = {};
  f.group = "rack-2";
  CHECK(tokens(f) == std::vector<std::string>{"b1-15"});
  f = {};
  f.tier = "affirming";
  CHECK(tokens(f) == std::vector<std::string>{"b1-15", "a2-5", "a1-0"});
  f = {};
  f.since = kT0 + absl::Seconds(5);   // inclusive
  f.until = kT0 + absl::Seconds(15);  // exclusive
  CHECK(tokens(f) == std::vector<std::string>{"a1-10", "a2-5"});
  f.host_id = "a1";
  CHECK(tokens(f) == std::vector<std::string>{"a1-10"});
  f = {};
  f.since = kT0 + absl::Seconds(21);
  CHECK(tokens(f).empty());
  f = {};
  f.group = "rack-1";
  f.since = kT0 + absl::Seconds(1);
  f.page_size = 2;
  auto page = store->ListAttestations(f);
  REQUIRE(page.ok());
  CHECK(page->attestations.size() == 2);
  REQUIRE_FALSE(page->next_page_token.empty());
  f.page_token = page->next_page_token;
  CHECK(tokens(f) == std::vector<std::string>{"a2-5"});
}

TEST_CASE("policies are versioned: next version, exact version, latest", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  PolicyVersion p;
  p.name = "debian-12";
  p.text = "group: \"rack-1\"";
  p.created_at = kT0;
  p.created_by = "ops";
  CHECK(*store->PutPolicy(p) == 1);
  p.text = "v2";
  CHECK(*store->PutPolicy(p) == 2);
  p.version = 2;
  CHECK(absl::IsAlreadyExists(store->PutPolicy(p).status()));
  p.version = 10;
  p.text = "v10";
  CHECK(*store->PutPolicy(p) == 10);
  p.version = 0;
  p.text = "v11";
  CHECK(*store->PutPolicy(p) == 11);
  PolicyVersion other = p;
  other.name = "other";
  CHECK(*store->PutPolicy(other) == 1);

  auto latest = store->GetPolicy("debian-12", std::nullopt);
  REQUIRE(latest.ok());
  CHECK(latest->version == 11);
  CHECK(latest->text == "v11");
  CHECK(latest->created_at == kT0);
  CHECK(latest->created_by == "ops");
  auto v2 = store->GetPolicy("debian-12", 2);
  REQUIRE(v2.ok());
  CHECK(v2->text == "v2");
  CHECK(absl::IsNotFound(store->GetPolicy("debian-12", 3).status()));
  CHECK(absl::IsNotFound(store->GetPolicy("nope", std::nullopt).status()));
  p.name = "";
  CHECK(absl::IsInvalidArgument(store->PutPolicy(p).status()));
  p.name = "x";
  p.version = -1;
  CHECK(absl::IsInvalidArgument(store->PutPolicy(p).status()));
}

TEST_CASE("concurrent policy pushes from two replicas get distinct versions", "[store]") {
  TestDatabase db;
  auto a = db.Open();
  auto b = db.Open();
  constexpr int kPushers = 8;
  std::vector<absl::StatusOr<int64_t>> results(kPushers, absl::UnknownError("not run"));
  std::latch start(kPushers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kPushers; ++i) {
    threads.emplace_back([&, i] {
      PolicyVersion p;
      p.name = "shared";
      p.text = absl::StrCat("push ", i);
      start.arrive_and_wait();
      results[i] = (i % 2 ? *a : *b).PutPolicy(p);
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> versions;
  for (const auto& r : results) {
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    versions.insert(*r);
  }
  CHECK(versions == std::set<int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("writers of one AK at once leave its highest counters, whatever batches they share",
          "[store]") {
  // Writers started together share group commits, whose counters go in one statement per
  // batch with one row per AK: the highest of the batch must win there too.
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  std::vector<Attestation> writes;
  for (int i = 0; i < 16; ++i) {
    Attestation a = MakeAttestation("h1", absl::StrCat("c-", i));
    a.ak_name = i % 2 == 0 ? "ak-even" : "ak-odd";
    // Highest of ak-even: (2, 3, 60) from i = 6; of ak-odd: (2, 3, 70) from i = 7.
    a.clock_info = {static_cast<uint64_t>(i * 10), i < 8 ? 2u : 1u,
                    static_cast<uint32_t>(i % 4 == 3 || i == 6 ? 3 : i % 3)};
    writes.push_back(a);
  }
  for (const auto& r : RecordTogether(*store, writes)) REQUIRE(r.ok());
  auto even = store->HighestClockInfo("ak-even");
  auto odd = store->HighestClockInfo("ak-odd");
  REQUIRE((even.ok() && even->has_value() && odd.ok() && odd->has_value()));
  CHECK(std::tie((*even)->reset_count, (*even)->restart_count, (*even)->clock) ==
        std::make_tuple(2u, 3u, uint64_t{60}));
  CHECK(std::tie((*odd)->reset_count, (*odd)->restart_count, (*odd)->clock) ==
        std::make_tuple(2u, 3u, uint64_t{70}));
}

TEST_CASE("HighestClockInfo is the highest counters an AK ever had accepted", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  auto none = store->HighestClockInfo("ak-1");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  auto record = [&](const std::string& ak, uint32_t reset, uint32_t restart, uint64_t clock) {
    Attestation a = MakeAttestation("h1", absl::StrCat(ak, "-", reset, "-", restart, "-", clock));
    a.ak_name = ak;
    a.clock_info = {clock, reset, restart};
    REQUIRE(store->RecordAttestation(a).ok());
  };
  auto highest = [&](const std::string& ak) {
    auto h = store->HighestClockInfo(ak);
    REQUIRE(h.ok());
    REQUIRE(h->has_value());
    return **h;
  };
  record("ak-1", 5, 1, 1000);
  record("ak-1", 5, 2, 2000);
  record("ak-2", 0, 0, 10);
  CHECK(highest("ak-1").reset_count == 5);
  CHECK(highest("ak-1").restart_count == 2);
  CHECK(highest("ak-1").clock == 2000);
  CHECK(highest("ak-2").clock == 10);

  // A rolled-back quote is stored, but never lowers the baseline: the next one is compared with
  // the highest, not with the latest row.
  record("ak-1", 4, 9, 9000);
  record("ak-1", 5, 1, 5000);
  record("ak-1", 5, 2, 1500);
  CHECK(highest("ak-1").reset_count == 5);
  CHECK(highest("ak-1").restart_count == 2);
  CHECK(highest("ak-1").clock == 2000);
  // Higher in the first field that differs raises it.
  record("ak-1", 5, 2, 2500);
  CHECK(highest("ak-1").clock == 2500);
  record("ak-1", 6, 0, 100);
  CHECK(highest("ak-1").reset_count == 6);
  CHECK(highest("ak-1").restart_count == 0);
  CHECK(highest("ak-1").clock == 100);
  // An attestation without an AK (an evidence rejection) leaves every baseline alone.
  Attestation rejected = MakeAttestation("h1", "rejected");
  rejected.ak_name.clear();
  rejected.clock_info = {1, 99, 99};
  REQUIRE(store->RecordAttestation(rejected).ok());
  CHECK(highest("ak-1").reset_count == 6);
  CHECK_FALSE(store->HighestClockInfo("")->has_value());
}

TEST_CASE("a TPM rollback stays open until cleared, and clearing forgets the baseline", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  REQUIRE(store->RegisterHost(MakeHost("h2"), false).ok());
  Attestation a = MakeAttestation("h1", "t1");
  a.ak_name = "ak-1";
  a.clock_info = {1000, 7, 3};
  REQUIRE(store->RecordAttestation(a).ok());

  CHECK(store->OpenRollbacks("h1")->empty());
  CHECK(absl::IsFailedPrecondition(store->ClearRollbacks("h1", "admin", "x", kT0).status()));
  CHECK(absl::IsInvalidArgument(store->RecordRollback(TpmRollback{}).status()));

  TpmRollback r = MakeResetRollback("h1", "ak-1");
  auto id1 = store->RecordRollback(r);
  REQUIRE(id1.ok());
  r.detected_at = kT0 + absl::Seconds(5);
  r.code = "restart-count-decreased";
  auto id2 = store->RecordRollback(r);
  REQUIRE(id2.ok());
  CHECK(*id2 > *id1);

  // Recording more attestations, of this host or others, leaves them open.
  Attestation later = MakeAttestation("h1", "t2");
  later.ak_name = "ak-1";
  later.clock_info = {2000, 8, 0};
  REQUIRE(store->RecordAttestation(later).ok());
  auto open = store->OpenRollbacks("h1");
  REQUIRE(open.ok());
  REQUIRE(open->size() == 2);
  CHECK(open->at(0).id == *id1);
  CHECK(open->at(0).host_id == "h1");
  CHECK(open->at(0).ak_name == "ak-1");
  CHECK(open->at(0).detected_at == kT0);
  CHECK(open->at(0).code == "reset-count-decreased");
  CHECK(open->at(0).seen == "resetCount 6");
  CHECK(open->at(0).allowed == "at least resetCount 7");
  CHECK(open->at(1).code == "restart-count-decreased");
  CHECK(store->OpenRollbacks("h2")->empty());
  CHECK(store->HighestClockInfo("ak-1")->value().reset_count == 8);

  auto cleared = store->ClearRollbacks("h1", "admin", "swtpm state restored on purpose",
                                       kT0 + absl::Minutes(1));
  REQUIRE(cleared.ok());
  REQUIRE(cleared->size() == 2);
  CHECK(cleared->at(0).id == *id1);
  CHECK(cleared->at(0).cleared_by == "admin");
  CHECK(cleared->at(0).cleared_reason == "swtpm state restored on purpose");
  CHECK(cleared->at(0).cleared_at == kT0 + absl::Minutes(1));
  CHECK(store->OpenRollbacks("h1")->empty());
  // The rolled-back TPM's next quote is the new baseline.
  CHECK_FALSE(store->HighestClockInfo("ak-1")->has_value());
  Attestation after = MakeAttestation("h1", "t3");
  after.ak_name = "ak-1";
  after.clock_info = {10, 6, 1};
  REQUIRE(store->RecordAttestation(after).ok());
  CHECK(store->HighestClockInfo("ak-1")->value().reset_count == 6);
  CHECK(absl::IsFailedPrecondition(store->ClearRollbacks("h1", "admin", "x", kT0).status()));
}

TEST_CASE("OpenStore refuses unsupported URLs", "[store]") {
  CHECK(absl::IsInvalidArgument(OpenStore("mysql://localhost/db").status()));
  CHECK(absl::IsInvalidArgument(OpenStore("sqlite://").status()));
  CHECK(absl::IsUnavailable(OpenStore("sqlite:///nonexistent-dir/x/bootgate.db").status()));
}

// --- Enrollment, AK lifecycle, audit (schema version 2) ---

const std::string kEkA(64, 'a');  // hex SHA-256 of an EK's SPKI
const std::string kEkB(64, 'b');

PendingEnrollment MakePending(const std::string& id, const std::string& host,
                              absl::Time created = kT0, absl::Duration ttl = absl::Minutes(5)) {
  PendingEnrollment p;
  p.enrollment_id = id;
  p.host_id = host;
  p.group = "rack-1";
  p.ek_fingerprint = kEkA;
  p.ak_public = std::string("\x00\x16\x00\x01\x00\x0b", 6);  // TPM2B_PUBLIC-ish bytes
  p.ak_name = "000b1234";
  p.secret_sha256 = std::string(31, '\x5c') + std::string(1, '\x00');  // raw, NUL included
  p.trust_path = kTrustPathEnrolled;
  p.created_at = created;
  p.expires_at = created + ttl;
  p.requested_by = "agent:" + host;
  return p;
}

// A host as a completed enrollment hands it to BindEnrolledHost.
Host MakeEnrolledHost(const std::string& id, const std::string& ek,
                      const std::string& ak_name = "ak-1", absl::Time at = kT0) {
  Host h = MakeHost(id);
  h.ek_fingerprint = ek;
  h.ak_name = ak_name;
  h.trust_path = kTrustPathEnrolled;
  h.registered_at = at;
  h.registered_by = "enroll:" + id;
  return h;
}

TEST_CASE("pending enrollments are single use, one per host, and expire", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  const PendingEnrollment p = MakePending("e1", "h1");
  REQUIRE(store->PutPendingEnrollment(p).ok());
  auto taken = store->TakePendingEnrollment("e1", kT0 + absl::Minutes(1));
  REQUIRE(taken.ok());
  CHECK(taken->enrollment_id == "e1");
  CHECK(taken->host_id == "h1");
  CHECK(taken->group == p.group);
  CHECK(taken->ek_fingerprint == kEkA);
  CHECK(taken->ak_public == p.ak_public);
  CHECK(taken->ak_name == p.ak_name);
  CHECK(taken->secret_sha256 == p.secret_sha256);
  CHECK(taken->trust_path == kTrustPathEnrolled);
  CHECK(taken->created_at == p.created_at);
  CHECK(taken->expires_at == p.expires_at);
  CHECK(taken->requested_by == "agent:h1");
  CHECK(absl::IsNotFound(store->TakePendingEnrollment("e1", kT0).status()));  // single use

  // A newer enrollment of the same host replaces the older one.
  REQUIRE(store->PutPendingEnrollment(MakePending("e2", "h1")).ok());
  REQUIRE(store->PutPendingEnrollment(MakePending("e3", "h1")).ok());
  CHECK(absl::IsNotFound(store->TakePendingEnrollment("e2", kT0).status()));
  CHECK(store->TakePendingEnrollment("e3", kT0).ok());

  // Expired at expires_at, and removed by the attempt.
  REQUIRE(store->PutPendingEnrollment(MakePending("e4", "h1")).ok());
  const absl::Status expired = store->TakePendingEnrollment("e4", kT0 + absl::Minutes(5)).status();
  INFO(expired.ToString());
  CHECK(absl::IsNotFound(expired));
  CHECK(std::string(expired.message()).find("expired") != std::string::npos);
  CHECK(absl::IsNotFound(store->TakePendingEnrollment("e4", kT0).status()));

  // Storing one drops every enrollment that expired before it was created.
  REQUIRE(store->PutPendingEnrollment(MakePending("e5", "h2", kT0, absl::Minutes(1))).ok());
  REQUIRE(store->PutPendingEnrollment(MakePending("e6", "h3", kT0 + absl::Minutes(2))).ok());
  CHECK(absl::IsNotFound(store->TakePendingEnrollment("e5", kT0).status()));
  CHECK(store->TakePendingEnrollment("e6", kT0 + absl::Minutes(3)).ok());

  CHECK(absl::IsNotFound(store->TakePendingEnrollment("never", kT0).status()));
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("PutPendingEnrollment refuses incomplete enrollments and a taken id", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  PendingEnrollment p = MakePending("e1", "h1");
  p.secret_sha256 = std::string(31, 'x');
  CHECK(absl::IsInvalidArgument(store->PutPendingEnrollment(p)));
  p = MakePending("", "h1");
  CHECK(absl::IsInvalidArgument(store->PutPendingEnrollment(p)));
  p = MakePending("e1", "");
  CHECK(absl::IsInvalidArgument(store->PutPendingEnrollment(p)));
  p = MakePending("e1", "h1");
  p.ek_fingerprint = "";
  CHECK(absl::IsInvalidArgument(store->PutPendingEnrollment(p)));

  REQUIRE(store->PutPendingEnrollment(MakePending("e1", "h1")).ok());
  CHECK(absl::IsAlreadyExists(store->PutPendingEnrollment(MakePending("e1", "h2"))));
  auto kept = store->TakePendingEnrollment("e1", kT0);
  REQUIRE(kept.ok());
  CHECK(kept->host_id == "h1");
}

TEST_CASE("a pending enrollment taken concurrently on two replicas is handed out once", "[store]") {
  TestDatabase db;
  auto replica_a = db.Open();
  auto replica_b = db.Open();
  REQUIRE(replica_a->PutPendingEnrollment(MakePending("race", "h1")).ok());
  constexpr int kTakers = 8;
  std::vector<absl::Status> results(kTakers);
  std::latch start(kTakers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kTakers; ++i) {
    threads.emplace_back([&, i] {
      Store& replica = (i % 2 == 0) ? *replica_a : *replica_b;
      start.arrive_and_wait();
      results[i] = replica.TakePendingEnrollment("race", kT0).status();
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const auto& r : results) {
    INFO(r.ToString());
    CHECK((r.ok() || absl::IsNotFound(r)));
    ok += r.ok();
  }
  CHECK(ok == 1);
}

TEST_CASE("BindEnrolledHost binds a new host, and the same TPM may rotate its AK", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA, "ak-1", kT0)).ok());
  auto bound = store->GetHost("h1");
  REQUIRE(bound.ok());
  CHECK(bound->status == kHostActive);
  CHECK(bound->ek_fingerprint == kEkA);
  CHECK(bound->ak_name == "ak-1");
  CHECK(bound->trust_path == kTrustPathEnrolled);
  CHECK_FALSE(bound->reenroll_allowed);
  CHECK(bound->status_changed_at == kT0);
  CHECK(bound->status_changed_by == "enroll:h1");
  CHECK(bound->status_reason == "enrolled");
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "before-rotation")).ok());

  const absl::Time later = kT0 + absl::Hours(1);
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA, "ak-2", later)).ok());
  auto rotated = store->GetHost("h1");
  REQUIRE(rotated.ok());
  CHECK(rotated->ak_name == "ak-2");
  CHECK(rotated->status == kHostActive);
  CHECK(rotated->registered_at == later);
  CHECK(rotated->status_changed_at == later);
  CHECK(rotated->status_reason == "AK rotated by the same TPM");
  auto history = store->LatestAttestation("h1");  // history kept
  REQUIRE(history.ok());
  CHECK(history->token_id == "before-rotation");

  Host no_ek = MakeEnrolledHost("h2", "");
  CHECK(absl::IsInvalidArgument(store->BindEnrolledHost(no_ek)));
  CHECK(absl::IsInvalidArgument(store->BindEnrolledHost(MakeEnrolledHost("", kEkA))));
  CHECK(absl::IsNotFound(store->GetHost("h2").status()));
}

TEST_CASE("BindEnrolledHost refuses another TPM until an admin allows one re-enrollment",
          "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA, "ak-a")).ok());
  const absl::Status refused = store->BindEnrolledHost(MakeEnrolledHost("h1", kEkB, "ak-b"));
  CHECK(absl::IsFailedPrecondition(refused));
  CHECK(std::string(refused.message()) ==
        "host \"h1\" is bound to another TPM (EK sha256 aaaaaaaaaaaa…); an admin must allow "
        "re-enrollment");
  CHECK(store->GetHost("h1")->ak_name == "ak-a");

  const absl::Time allowed_at = kT0 + absl::Minutes(30);
  REQUIRE(store->AllowReenroll("h1", "admin", "motherboard replaced", allowed_at).ok());
  auto allowed = store->GetHost("h1");
  REQUIRE(allowed.ok());
  CHECK(allowed->reenroll_allowed);
  CHECK(allowed->reenroll_allowed_by == "admin");
  CHECK(allowed->reenroll_allowed_reason == "motherboard replaced");
  CHECK(allowed->reenroll_allowed_at == allowed_at);
  CHECK(allowed->status == kHostActive);  // the status and its last change are untouched
  CHECK(allowed->status_changed_by == "enroll:h1");
  CHECK(allowed->status_reason == "enrolled");

  const absl::Time rebound_at = kT0 + absl::Hours(1);
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkB, "ak-b", rebound_at)).ok());
  auto rebound = store->GetHost("h1");
  REQUIRE(rebound.ok());
  CHECK(rebound->ek_fingerprint == kEkB);
  CHECK(rebound->ak_name == "ak-b");
  CHECK_FALSE(rebound->reenroll_allowed);  // used up
  CHECK(rebound->reenroll_allowed_by.empty());
  CHECK(rebound->reenroll_allowed_reason.empty());
  CHECK(rebound->reenroll_allowed_at == absl::UnixEpoch());
  CHECK(rebound->status_changed_at == rebound_at);
  CHECK(rebound->status_changed_by == "enroll:h1");
  CHECK(rebound->status_reason == "re-enrolled after admin allowed it: motherboard replaced");
  CHECK(absl::IsFailedPrecondition(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA))));

  CHECK(absl::IsNotFound(store->AllowReenroll("nobody", "admin", "x", kT0)));
}

TEST_CASE("one TPM speaks for one host until that host is revoked", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA)).ok());
  const absl::Status second = store->BindEnrolledHost(MakeEnrolledHost("h2", kEkA));
  CHECK(absl::IsFailedPrecondition(second));
  CHECK_THAT(std::string(second.message()), Catch::Contains("already enrolled as host \"h1\""));
  CHECK(absl::IsNotFound(store->GetHost("h2").status()));
  // CheckBinding judges the same way and binds nothing.
  CHECK(absl::IsFailedPrecondition(store->CheckBinding(MakeEnrolledHost("h2", kEkA))));
  CHECK(store->CheckBinding(MakeEnrolledHost("h2", kEkB)).ok());
  CHECK(store->CheckBinding(MakeEnrolledHost("h1", kEkA, "ak-2")).ok());  // AK rotation
  CHECK(absl::IsNotFound(store->GetHost("h2").status()));
  // Revoking h1 frees its TPM for another host id.
  REQUIRE(store->RevokeHost("h1", "admin", "the TPM moves to h2", kT0).ok());
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h2", kEkA, "ak-h2")).ok());
  CHECK(store->GetHost("h2")->ek_fingerprint == kEkA);
  // h1 cannot take its old TPM back even with an admin's allowance: it is h2's now.
  REQUIRE(store->AllowReenroll("h1", "admin", "back to the old board", kT0).ok());
  CHECK(absl::IsFailedPrecondition(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA))));
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("an admin-registered host is not taken over by an EK enrollment", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("lab-1"), false).ok());
  const absl::Status refused = store->BindEnrolledHost(MakeEnrolledHost("lab-1", kEkA));
  CHECK(absl::IsFailedPrecondition(refused));
  CHECK(std::string(refused.message()).find("an admin must allow re-enrollment") !=
        std::string::npos);
  CHECK(store->GetHost("lab-1")->trust_path == kTrustPathAdminRegistered);
  REQUIRE(store->AllowReenroll("lab-1", "admin", "moving to EK enrollment", kT0).ok());
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("lab-1", kEkA)).ok());
  CHECK(store->GetHost("lab-1")->trust_path == kTrustPathEnrolled);
}

TEST_CASE("RevokeHost revokes once; a revoked host needs an admin to enroll again", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA)).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "kept")).ok());
  const absl::Time revoked_at = kT0 + absl::Hours(2);
  REQUIRE(store->RevokeHost("h1", "admin", "laptop stolen", revoked_at).ok());
  auto revoked = store->GetHost("h1");
  REQUIRE(revoked.ok());
  CHECK(revoked->status == kHostRevoked);
  CHECK(revoked->status_changed_at == revoked_at);
  CHECK(revoked->status_changed_by == "admin");
  CHECK(revoked->status_reason == "laptop stolen");
  CHECK(store->LatestAttestation("h1").ok());  // history stays

  const absl::Status twice = store->RevokeHost("h1", "admin2", "again", revoked_at);
  CHECK(absl::IsFailedPrecondition(twice));
  CHECK(std::string(twice.message()).find("already revoked") != std::string::npos);
  CHECK(store->GetHost("h1")->status_changed_by == "admin");  // the second call changed nothing
  CHECK(absl::IsNotFound(store->RevokeHost("nobody", "admin", "x", kT0)));

  // Not even the same TPM may come back on its own.
  const absl::Status same_tpm = store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA));
  CHECK(absl::IsFailedPrecondition(same_tpm));
  CHECK(std::string(same_tpm.message()) ==
        "host \"h1\" is revoked; an admin must allow re-enrollment");

  REQUIRE(store->AllowReenroll("h1", "admin2", "recovered", kT0 + absl::Hours(3)).ok());
  auto allowed = store->GetHost("h1");
  REQUIRE(allowed.ok());
  CHECK(allowed->status == kHostRevoked);        // until the enrollment
  CHECK(allowed->status_changed_by == "admin");  // who revoked, and why, stay readable
  CHECK(allowed->status_reason == "laptop stolen");
  CHECK(allowed->reenroll_allowed_by == "admin2");
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA, "ak-new")).ok());
  CHECK(store->GetHost("h1")->status == kHostActive);

  // A revocation withdraws an allowance given before it.
  REQUIRE(store->AllowReenroll("h1", "admin", "new board", kT0).ok());
  REQUIRE(store->RevokeHost("h1", "admin", "compromised", kT0).ok());
  CHECK_FALSE(store->GetHost("h1")->reenroll_allowed);
  CHECK(store->GetHost("h1")->reenroll_allowed_by.empty());
  CHECK(absl::IsFailedPrecondition(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkB))));
}

// Eight TPMs enroll as `host` at once, half through each replica; returns each one's result.
std::vector<absl::Status> EnrollConcurrently(Store& replica_a, Store& replica_b,
                                             const std::string& host, char first_ek_digit) {
  constexpr int kEnrollers = 8;
  std::vector<absl::Status> results(kEnrollers);
  std::latch start(kEnrollers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kEnrollers; ++i) {
    threads.emplace_back([&, i] {
      Store& replica = (i % 2 == 0) ? replica_a : replica_b;
      const Host h = MakeEnrolledHost(host, std::string(64, static_cast<char>(first_ek_digit + i)));
      start.arrive_and_wait();
      results[i] = replica.BindEnrolledHost(h);
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

// The one enrollment that succeeded (its index), checking that all others were refused.
int OnlyWinner(const std::vector<absl::Status>& results) {
  int winner = -1, ok = 0, refused = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    INFO(results[i].ToString());
    CHECK((results[i].ok() || absl::IsFailedPrecondition(results[i])));
    if (results[i].ok()) winner = static_cast<int>(i);
    ok += results[i].ok();
    refused += absl::IsFailedPrecondition(results[i]);
  }
  CHECK(ok == 1);
  CHECK(refused == static_cast<int>(results.size()) - 1);
  return winner;
}

TEST_CASE("concurrent enrollments of one host on two replicas bind exactly one TPM", "[store]") {
  TestDatabase db;
  auto replica_a = db.Open();
  auto replica_b = db.Open();
  for (int round = 0; round < 3; ++round) {
    const std::string host = absl::StrCat("racy-", round);
    // A new host: no row to lock yet.
    const int first = OnlyWinner(EnrollConcurrently(*replica_a, *replica_b, host, '0'));
    REQUIRE(first >= 0);
    CHECK(replica_b->GetHost(host)->ek_fingerprint ==
          std::string(64, static_cast<char>('0' + first)));
    // One allowed re-enrollment is used by one TPM only.
    REQUIRE(replica_a->AllowReenroll(host, "admin", "swap", kT0).ok());
    const int second = OnlyWinner(EnrollConcurrently(*replica_a, *replica_b, host, 'a'));
    REQUIRE(second >= 0);
    CHECK(replica_a->GetHost(host)->ek_fingerprint ==
          std::string(64, static_cast<char>('a' + second)));
  }
  CHECK(replica_a->CheckIntegrity().ok());
}

TEST_CASE("RegisterHost writes the trust fields as given and ListHosts returns them", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  Host h = MakeHost("h1");
  CHECK(h.status == kHostActive);
  h.ek_fingerprint = kEkB;
  h.status = kHostRevoked;
  h.status_changed_at = kT0 + absl::Seconds(9);
  h.status_changed_by = "lab-admin";
  h.status_reason = "spare";
  h.reenroll_allowed = true;
  h.reenroll_allowed_at = kT0 + absl::Seconds(10);
  h.reenroll_allowed_by = "lab-admin";
  h.reenroll_allowed_reason = "reimage";
  h.trust_path = kTrustPathAkCertificate;
  REQUIRE(store->RegisterHost(h, false).ok());
  auto hosts = store->ListHosts();
  REQUIRE(hosts.ok());
  REQUIRE(hosts->size() == 1);
  const Host& got = hosts->front();
  CHECK(got.ek_fingerprint == kEkB);
  CHECK(got.status == kHostRevoked);
  CHECK(got.status_changed_at == h.status_changed_at);
  CHECK(got.status_changed_by == "lab-admin");
  CHECK(got.status_reason == "spare");
  CHECK(got.reenroll_allowed);
  CHECK(got.reenroll_allowed_at == h.reenroll_allowed_at);
  CHECK(got.reenroll_allowed_by == "lab-admin");
  CHECK(got.reenroll_allowed_reason == "reimage");
  CHECK(got.trust_path == kTrustPathAkCertificate);

  REQUIRE(store->RegisterHost(MakeHost("h1"), true).ok());  // replace: every field as given
  auto replaced = store->GetHost("h1");
  REQUIRE(replaced.ok());
  CHECK(replaced->status == kHostActive);
  CHECK(replaced->ek_fingerprint.empty());
  CHECK_FALSE(replaced->reenroll_allowed);
  CHECK(replaced->reenroll_allowed_by.empty());

  Host bogus = MakeHost("h2");
  bogus.status = "suspended";
  CHECK(absl::IsInvalidArgument(store->RegisterHost(bogus, false)));
}

AuditRecord MakeAudit(const std::string& actor, const std::string& action, const std::string& host,
                      const std::string& outcome, absl::Time at) {
  AuditRecord r;
  r.at = at;
  r.actor = actor;
  r.role = actor == "local" ? "local" : "admin";
  r.action = action;
  r.host_id = host;
  r.outcome = outcome;
  r.reason = absl::StrCat(action, " for ", host.empty() ? "the fleet" : host);
  r.details = "{\"k\": \"v\"}";
  return r;
}

TEST_CASE("the audit log is append-only, even behind the store's back", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->AppendAudit(MakeAudit("alice", "host.revoke", "h1", "ok", kT0)).ok());
  auto raw = db.Raw();
  for (const char* sql :
       {"UPDATE audit_log SET reason = 'nothing happened'", "DELETE FROM audit_log"}) {
    INFO(sql);
    const absl::Status changed = raw->Exec(sql);
    CHECK_FALSE(changed.ok());
    CHECK_THAT(std::string(changed.message()), Catch::Contains("audit_log is append-only"));
  }
  if (db.is_postgres()) CHECK_FALSE(raw->Exec("TRUNCATE audit_log").ok());
  AuditFilter all;
  auto page = store->ListAudit(all);
  REQUIRE(page.ok());
  REQUIRE(page->records.size() == 1);
  CHECK(page->records[0].action == "host.revoke");
}

TEST_CASE("audit records are appended with increasing ids and listed newest first", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  std::vector<int64_t> ids;
  for (int i = 0; i < 25; ++i) {
    auto id = store->AppendAudit(
        MakeAudit(i % 2 ? "alice" : "bob", "policy.put", "", "ok", kT0 + absl::Seconds(i)));
    REQUIRE(id.ok());
    if (!ids.empty()) CHECK(*id > ids.back());
    ids.push_back(*id);
  }
  std::reverse(ids.begin(), ids.end());

  auto other_replica = db.Open();  // committed: another replica sees every record
  AuditFilter filter;
  filter.page_size = 10;
  std::vector<int64_t> got;
  std::vector<size_t> sizes;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = other_replica->ListAudit(filter);
    REQUIRE(page.ok());
    sizes.push_back(page->records.size());
    for (const auto& r : page->records) got.push_back(r.id);
    if (page->next_page_token.empty()) break;
    filter.page_token = page->next_page_token;
  }
  CHECK(got == ids);
  CHECK(sizes == std::vector<size_t>{10, 10, 5});

  auto newest = store->ListAudit({});
  REQUIRE(newest.ok());
  REQUIRE(newest->records.size() == 25);  // default page size 50
  CHECK(newest->next_page_token.empty());
  const AuditRecord want = MakeAudit("bob", "policy.put", "", "ok", kT0 + absl::Seconds(24));
  const AuditRecord& r = newest->records.front();
  CHECK(r.at == want.at);
  CHECK(r.actor == want.actor);
  CHECK(r.role == want.role);
  CHECK(r.action == want.action);
  CHECK(r.host_id.empty());
  CHECK(r.outcome == want.outcome);
  CHECK(r.reason == want.reason);
  CHECK(r.details == want.details);
}

TEST_CASE("ListAudit filters by host, actor, action, outcome and time", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  auto append = [&](const std::string& actor, const std::string& action, const std::string& host,
                    const std::string& outcome, int sec) {
    REQUIRE(
        store->AppendAudit(MakeAudit(actor, action, host, outcome, kT0 + absl::Seconds(sec))).ok());
  };
  append("alice", "host.revoke", "h1", "ok", 0);
  append("mallory", "host.revoke", "h1", "denied", 5);
  append("local", "enroll.finish", "h2", "refused", 10);
  append("alice", "policy.put", "", "ok", 15);
  append("agent-h1", "Attestation.Attest", "h1", "ok", 20);

  auto seconds = [&](const AuditFilter& f) {
    auto page = store->ListAudit(f);
    REQUIRE(page.ok());
    std::vector<int64_t> out;
    for (const auto& r : page->records) out.push_back(absl::ToInt64Seconds(r.at - kT0));
    return out;
  };
  AuditFilter f;
  f.host_id = "h1";
  CHECK(seconds(f) == std::vector<int64_t>{20, 5, 0});
  f = {};
  f.actor = "alice";
  CHECK(seconds(f) == std::vector<int64_t>{15, 0});
  f = {};
  f.action = "host.revoke";
  CHECK(seconds(f) == std::vector<int64_t>{5, 0});
  f.outcome = "denied";
  CHECK(seconds(f) == std::vector<int64_t>{5});
  f = {};
  f.outcome = "refused";
  CHECK(seconds(f) == std::vector<int64_t>{10});
  f = {};
  f.since = kT0 + absl::Seconds(5);   // inclusive
  f.until = kT0 + absl::Seconds(20);  // exclusive
  CHECK(seconds(f) == std::vector<int64_t>{15, 10, 5});
  f.host_id = "h1";
  CHECK(seconds(f) == std::vector<int64_t>{5});
  f = {};
  f.actor = "nobody";
  CHECK(seconds(f).empty());
  f = {};
  f.host_id = "h1";
  f.page_size = 2;
  auto first = store->ListAudit(f);
  REQUIRE(first.ok());
  CHECK(first->records.size() == 2);
  REQUIRE_FALSE(first->next_page_token.empty());
  f.page_token = first->next_page_token;
  CHECK(seconds(f) == std::vector<int64_t>{0});
}

TEST_CASE("AppendAudit and ListAudit refuse malformed input", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  CHECK(absl::IsInvalidArgument(store->AppendAudit(MakeAudit("a", "", "", "ok", kT0)).status()));
  CHECK(absl::IsInvalidArgument(
      store->AppendAudit(MakeAudit("a", "host.revoke", "", "maybe", kT0)).status()));
  CHECK(absl::IsInvalidArgument(
      store->AppendAudit(MakeAudit("a", "host.revoke", "", "", kT0)).status()));
  for (const char* token : {"abc", "-3", "0", "99999999999999999999"}) {
    AuditFilter f;
    f.page_token = token;
    INFO(token);
    CHECK(absl::IsInvalidArgument(store->ListAudit(f).status()));
  }
  AuditFilter f;
  f.page_size = -1;
  CHECK(absl::IsInvalidArgument(store->ListAudit(f).status()));
  f.page_size = 1'000'000;  // capped, not refused
  CHECK(store->ListAudit(f).ok());
  auto none = store->ListAudit({});
  REQUIRE(none.ok());
  CHECK(none->records.empty());
}

TEST_CASE("CheckIntegrity reports an audit record no store call could have written", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->AppendAudit(MakeAudit("alice", "policy.put", "", "ok", kT0)).ok());
  REQUIRE(store->CheckIntegrity().ok());
  auto raw = db.Raw();
  REQUIRE(raw->Exec("INSERT INTO audit_log (at_us, actor, role, action, host_id, outcome,"
                    " reason, details) VALUES (0, 'x', '', 'policy.put', '', 'maybe', '', '')")
              .ok());
  const absl::Status integrity = store->CheckIntegrity();
  INFO(integrity.ToString());
  CHECK(absl::IsDataLoss(integrity));
  CHECK(std::string(integrity.message()).find("audit records with an outcome") !=
        std::string::npos);
}

TEST_CASE("a schema-1 database migrates keeping its hosts, now active and not EK-bound",
          "[store]") {
  TestDatabase db;
  {
    // The database as a bootgated of schema version 1 left it.
    std::vector<internal::Migration> version1;
    for (const internal::Migration& m : internal::EmbeddedMigrations()) {
      if (m.dialect == db.dialect() && m.version == 1) version1.push_back(m);
    }
    REQUIRE(version1.size() == 1);
    auto raw = db.Raw();
    auto migrated = internal::Migrate(*raw, version1);
    REQUIRE(migrated.ok());
    REQUIRE(*migrated == 1);
    for (const char* id : {"old-1", "old-2"}) {
      const internal::SqlParam params[] = {std::string(id),
                                           std::string("rack-1"),
                                           internal::Bytes{"pem"},
                                           internal::Bytes{"name"},
                                           absl::ToUnixMicros(kT0),
                                           std::string("admin@lab"),
                                           std::string(kTrustPathAdminRegistered)};
      REQUIRE(raw->Query("INSERT INTO hosts (host_id, host_group, ak_public, ak_name,"
                         " registered_at_us, registered_by, trust_path)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         params)
                  .ok());
    }
  }
  auto store = db.Open();
  CHECK(store->SchemaVersion() ==
        internal::NewestVersion(internal::EmbeddedMigrations(), db.dialect()));
  auto hosts = store->ListHosts();
  REQUIRE(hosts.ok());
  REQUIRE(hosts->size() == 2);
  for (const Host& h : *hosts) {
    INFO(h.host_id);
    CHECK(h.ak_public == "pem");
    CHECK(h.ak_name == "name");
    CHECK(h.status == kHostActive);
    CHECK(h.ek_fingerprint.empty());
    CHECK_FALSE(h.reenroll_allowed);
    CHECK(h.reenroll_allowed_by.empty());
    CHECK(h.reenroll_allowed_at == absl::UnixEpoch());
    CHECK(h.status_changed_at == kT0);  // active since its registration
    CHECK(h.status_changed_by == "admin@lab");
    CHECK(h.status_reason.empty());
  }
  CHECK(store->CheckIntegrity().ok());
  // The new tables work on the migrated database.
  REQUIRE(store->RevokeHost("old-1", "admin", "retired", kT0).ok());
  CHECK(store->GetHost("old-1")->status == kHostRevoked);
  CHECK(absl::IsFailedPrecondition(store->BindEnrolledHost(MakeEnrolledHost("old-2", kEkA))));
  REQUIRE(store->PutPendingEnrollment(MakePending("e1", "old-2")).ok());
  CHECK(store->AppendAudit(MakeAudit("admin", "host.revoke", "old-1", "ok", kT0)).ok());
}

}  // namespace
TEST_CASE("an admin-allowed re-enrollment closes the host's open rollbacks", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  Host h = MakeEnrolledHost("h1", "ek-1");
  REQUIRE(store->BindEnrolledHost(h).ok());
  Attestation a = MakeAttestation("h1", "t1");
  a.ak_name = h.ak_name;
  a.clock_info = {1000, 7, 3};
  REQUIRE(store->RecordAttestation(a).ok());
  TpmRollback r;
  r.host_id = "h1";
  r.ak_name = h.ak_name;
  r.detected_at = kT0;
  r.code = "reset-count-decreased";
  REQUIRE(store->RecordRollback(r).ok());

  // Rotating the AK on the same TPM (no admin) leaves the rollback open.
  Host rotated = h;
  rotated.ak_name = "ak-rotated";
  REQUIRE(store->BindEnrolledHost(rotated).ok());
  CHECK(store->OpenRollbacks("h1")->size() == 1);

  REQUIRE(store->AllowReenroll("h1", "admin", "TPM state restored, investigated", kT0).ok());
  Host again = h;
  again.registered_by = "agent:h1";
  again.registered_at = kT0 + absl::Hours(1);
  REQUIRE(store->BindEnrolledHost(again).ok());
  CHECK(store->OpenRollbacks("h1")->empty());
  CHECK_FALSE(store->HighestClockInfo(h.ak_name)->has_value());
}

TEST_CASE("a revoked AK is never bound again, to any host", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA, "ak-old")).ok());
  CHECK_FALSE(store->RevokedAkInfo("ak-old")->has_value());
  const absl::Time revoked_at = kT0 + absl::Minutes(5);
  REQUIRE(store->RevokeHost("h1", "admin", "key leaked", revoked_at).ok());
  auto revoked = store->RevokedAkInfo("ak-old");
  REQUIRE(revoked.ok());
  REQUIRE(revoked->has_value());
  CHECK((*revoked)->host_id == "h1");
  CHECK((*revoked)->revoked_by == "admin");
  CHECK((*revoked)->reason == "key leaked");
  CHECK((*revoked)->revoked_at == revoked_at);

  REQUIRE(store->AllowReenroll("h1", "admin", "rebuilt", kT0 + absl::Hours(1)).ok());
  // The same host, the same TPM: refused for the AK, and the allowance is not used up.
  for (const Host& h :
       {MakeEnrolledHost("h1", kEkA, "ak-old"), MakeEnrolledHost("h2", kEkB, "ak-old")}) {
    INFO(h.host_id);
    const absl::Status check = store->CheckBinding(h);
    CHECK(absl::IsFailedPrecondition(check));
    const absl::Status bind = store->BindEnrolledHost(h);
    CHECK(absl::IsFailedPrecondition(bind));
    CHECK_THAT(std::string(bind.message()),
               Catch::StartsWith("AK sha256 ak-old… was revoked (host \"h1\", by admin at "));
    CHECK_THAT(std::string(bind.message()),
               Catch::EndsWith(": key leaked) and is never bound again: enroll a new AK"));
  }
  CHECK(store->GetHost("h1")->reenroll_allowed);
  CHECK(absl::IsNotFound(store->GetHost("h2").status()));
  // A new AK binds; the old one stays revoked after that.
  REQUIRE(store->BindEnrolledHost(MakeEnrolledHost("h1", kEkA, "ak-new")).ok());
  CHECK(store->GetHost("h1")->ak_name == "ak-new");
  CHECK(store->GetHost("h1")->status == kHostActive);
  CHECK(store->RevokedAkInfo("ak-old")->has_value());
  CHECK_FALSE(store->RevokedAkInfo("ak-new")->has_value());
  // Revoking again keeps the first record of each AK.
  REQUIRE(store->RevokeHost("h1", "admin2", "again", kT0 + absl::Hours(2)).ok());
  CHECK(store->RevokedAkInfo("ak-old")->value().reason == "key leaked");
  CHECK(store->RevokedAkInfo("ak-new")->value().revoked_by == "admin2");
}

TEST_CASE("a schema-2 database migrates keeping its AKs' highest counters and revoked AKs",
          "[store]") {
  TestDatabase db;
  {
    std::vector<internal::Migration> up_to_2;
    for (const internal::Migration& m : internal::EmbeddedMigrations()) {
      if (m.dialect == db.dialect() && m.version <= 2) up_to_2.push_back(m);
    }
    REQUIRE(up_to_2.size() == 2);
    auto raw = db.Raw();
    REQUIRE(internal::Migrate(*raw, up_to_2).ok());
    for (const char* id : {"old-1", "old-2"}) {
      const internal::SqlParam params[] = {std::string(id),
                                           std::string("rack-1"),
                                           internal::Bytes{"pem"},
                                           internal::Bytes{absl::StrCat("ak-", id)},
                                           absl::ToUnixMicros(kT0),
                                           std::string("admin@lab"),
                                           std::string(kTrustPathAdminRegistered)};
      REQUIRE(raw->Query("INSERT INTO hosts (host_id, host_group, ak_public, ak_name,"
                         " registered_at_us, registered_by, trust_path)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         params)
                  .ok());
    }
    const internal::SqlParam revoke[] = {std::string("old-2"), absl::ToUnixMicros(kT0)};
    REQUIRE(raw->Query("UPDATE hosts SET status = 'revoked', status_changed_at_us = $2,"
                       " status_changed_by = 'admin', status_reason = 'retired'"
                       " WHERE host_id = $1",
                       revoke)
                .ok());
    // old-1's AK: the highest is (5, 2, 900), neither the latest row nor the highest clock.
    int n = 0;
    for (auto [reset, restart, clock] : std::vector<std::array<int64_t, 3>>{
             {5, 1, 5000}, {5, 2, 900}, {4, 9, 9000}, {5, 2, 100}}) {
      const internal::SqlParam row[] = {std::string("old-1"),
                                        absl::ToUnixMicros(kT0),
                                        internal::Bytes{absl::StrCat("token-", n++)},
                                        internal::Bytes{"ak-old-1"},
                                        clock,
                                        reset,
                                        restart};
      REQUIRE(raw->Query("INSERT INTO attestations (host_id, host_group, received_at_us,"
                         " token_id, tier, placement_eligible, policy_name, policy_version,"
                         " expires_at_us, verdict_jwt, findings_json, ak_name, tpm_clock,"
                         " reset_count, restart_count, quote_msg, quote_sig, quote_pcrs,"
                         " event_log) VALUES ($1, 'rack-1', $2, $3, 'affirming', TRUE, 'p', 1,"
                         " $2, '', '[]', $4, $5, $6, $7, $3, $3, $3, $3)",
                         row)
                  .ok());
    }
  }
  auto store = db.Open();
  auto highest = store->HighestClockInfo("ak-old-1");
  REQUIRE(highest.ok());
  REQUIRE(highest->has_value());
  CHECK((*highest)->reset_count == 5);
  CHECK((*highest)->restart_count == 2);
  CHECK((*highest)->clock == 900);
  CHECK_FALSE(store->HighestClockInfo("ak-old-2")->has_value());
  auto revoked = store->RevokedAkInfo("ak-old-2");
  REQUIRE(revoked.ok());
  REQUIRE(revoked->has_value());
  CHECK((*revoked)->host_id == "old-2");
  CHECK((*revoked)->reason == "retired");
  CHECK_FALSE(store->RevokedAkInfo("ak-old-1")->has_value());
  CHECK(store->CheckIntegrity().ok());
}

// A re-appraisal of stored evidence must never overtake a verdict on newer evidence: it is
// stored only while the record it judged again is still the host's latest.
TEST_CASE("only_if_latest stores a record only while that id is the host's latest", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  auto original = store->RecordAttestation(MakeAttestation("h1", "t1"));
  REQUIRE(original.ok());

  Attestation reappraisal = MakeAttestation("h1", "r1");
  reappraisal.tier = "warning";
  reappraisal.only_if_latest = *original;
  auto stored = store->RecordAttestation(reappraisal);
  REQUIRE(stored.ok());
  CHECK(store->LatestAttestation("h1")->id == *stored);

  auto newer = store->RecordAttestation(MakeAttestation("h1", "t2"));
  REQUIRE(newer.ok());
  Attestation stale = MakeAttestation("h1", "r2");
  stale.tier = "contraindicated";
  stale.only_if_latest = *stored;  // no longer the latest: t2 came after it
  CHECK(absl::IsAborted(store->RecordAttestation(stale).status()));
  CHECK(store->LatestAttestation("h1")->id == *newer);
  CHECK(absl::IsNotFound(store->GetAttestationByToken("r2").status()));
}

// Replicas agree (store.h, FollowAttestations): a replica hears of every attestation another
// commits, several in one group commit included, and not of its own. SQLite has no feed: one
// process owns the file.
TEST_CASE("FollowAttestations tells one replica what another commits", "[store]") {
  TestDatabase db;
  auto follower = db.Open();
  auto writer = db.Open();
  std::mutex mu;
  std::set<int64_t> heard;
  FeedCallbacks callbacks;
  callbacks.on_recorded = [&](int64_t id) {
    std::lock_guard lock(mu);
    heard.insert(id);
  };
  callbacks.on_link = [](const absl::Status&) {};
  auto feed = follower->FollowAttestations(callbacks);
  REQUIRE(feed.ok());
  if (!db.is_postgres()) {
    CHECK(*feed == nullptr);
    return;
  }
  REQUIRE(*feed != nullptr);
  REQUIRE(writer->RegisterHost(MakeHost("h1"), false).ok());
  // 8 writers at once: the group commit carries several records in one transaction.
  constexpr int kWriters = 8;
  std::vector<absl::StatusOr<int64_t>> written(kWriters, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      written[i] = writer->RecordAttestation(MakeAttestation("h1", absl::StrCat("feed-", i)));
    });
  }
  for (auto& t : threads) t.join();
  auto own = follower->RecordAttestation(MakeAttestation("h1", "the-follower's-own"));
  REQUIRE(own.ok());
  std::set<int64_t> want;
  for (const auto& id : written) {
    REQUIRE(id.ok());
    want.insert(*id);
  }
  for (int i = 0; i < 100; ++i) {  // delivered at commit; waits up to 10 s
    {
      std::lock_guard lock(mu);
      if (heard.size() >= want.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // anything more would show
  std::lock_guard lock(mu);
  CHECK(heard == want);
  CHECK_FALSE(heard.contains(*own));
}

}  // namespace bootgate::server::store

namespace bootgate::server::store {
namespace {

// Eligibility notifications (store.h, records.h Notification): written with the verdict that
// changes a host's eligibility, once per URL and event id; claimed by one replica at a time.
TEST_CASE("a verdict that changes eligibility writes one notification per URL with it",
          "[store][notifications]") {
  TestDatabase db;
  StoreOptions options;
  options.notification_urls = {"http://a.example/hook", "http://b.example/hook"};
  auto store = db.Open(options);
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());

  // Never attested -> eligible: an event; eligible again: none; -> contraindicated: an event.
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t1", kT0)).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t2", kT0 + absl::Minutes(1))).ok());
  Attestation bad = MakeAttestation("h1", "t3", kT0 + absl::Minutes(2));
  bad.tier = "contraindicated";
  bad.placement_eligible = false;
  REQUIRE(store->RecordAttestation(bad).ok());
  // Ineligible -> ineligible, but a revocation: an event.
  Attestation revoked = MakeAttestation("h1", "t4", kT0 + absl::Minutes(3));
  revoked.placement_eligible = false;
  revoked.revocation = true;
  REQUIRE(store->RecordAttestation(revoked).ok());
  CHECK(*store->PendingNotifications() == 6);

  const absl::Time now = kT0 + absl::Minutes(5);
  auto claimed = store->ClaimNotifications(now, absl::Seconds(30), 100);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 6);
  std::vector<std::string> kinds;
  for (const Notification& n : *claimed) {
    kinds.push_back(n.kind + " " + n.event_id);
    CHECK(n.host_id == "h1");
    CHECK(n.jwt == "eyJhbGciOiJFUzI1NiJ9.e30.sig");
    CHECK(n.event_id == "verdict-" + n.attestation_id);
    CHECK(n.attempts == 0);
  }
  std::sort(kinds.begin(), kinds.end());
  CHECK(kinds == std::vector<std::string>{"eligible verdict-t1", "eligible verdict-t1",
                                          "ineligible verdict-t3", "ineligible verdict-t3",
                                          "revoked verdict-t4", "revoked verdict-t4"});
  // Claimed: nobody else (another replica) gets them until the lease ends.
  auto other = db.Open(options);
  CHECK(other->ClaimNotifications(now, absl::Seconds(30), 100)->empty());
  CHECK(other->ClaimNotifications(now + absl::Seconds(31), absl::Seconds(30), 100)->size() == 6);

  // Delivered: gone. Failed: due again at its retry time, attempts counted.
  const Notification first = claimed->at(0);
  const Notification second = claimed->at(1);
  REQUIRE(store->FinishNotification(first.id, now, "", now).ok());
  REQUIRE(store->FinishNotification(second.id, now, "HTTP 503", now + absl::Minutes(1)).ok());
  CHECK(*store->PendingNotifications() == 5);
  const absl::Time later = now + absl::Seconds(61);
  auto again = store->ClaimNotifications(later, absl::Seconds(30), 100);
  REQUIRE(again.ok());
  bool retried = false;
  for (const Notification& n : *again) {
    CHECK(n.id != first.id);
    if (n.id == second.id) retried = n.attempts == 1;
  }
  CHECK(retried);
}

TEST_CASE("an expiry is written once, and only while its verdict is the host's latest",
          "[store][notifications]") {
  TestDatabase db;
  StoreOptions options;
  options.notification_urls = {"http://a.example/hook"};
  auto store = db.Open(options);
  auto replica = db.Open(options);
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t1")).ok());
  Notification expired;
  expired.event_id = "expired-t1";
  expired.kind = "expired";
  expired.host_id = "h1";
  expired.attestation_id = "t1";
  expired.occurred_at = kT0 + absl::Minutes(10);
  expired.jwt = "eyJhbGciOiJFUzI1NiJ9.e30.sig";
  CHECK(*store->AddNotificationIfLatest(expired) == 1);
  CHECK(*replica->AddNotificationIfLatest(expired) == 0);  // the other replica saw it too
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t2", kT0 + absl::Minutes(1))).ok());
  Notification stale = expired;
  stale.event_id = "expired-t1-again";
  CHECK(*store->AddNotificationIfLatest(stale) == 0);  // t2 is the latest now
  CHECK(*store->PendingNotifications() == 2);          // t1's verdict event and its expiry
}

TEST_CASE("without notification URLs nothing is written", "[store][notifications]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t1")).ok());
  CHECK(*store->PendingNotifications() == 0);
}

}  // namespace
}  // namespace bootgate::server::store

namespace bootgate::server::store {
namespace {

TEST_CASE("hosts are counted by group and by eligibility now", "[store]") {
  TestDatabase db;
  auto store = db.Open();
  for (const char* id : {"h1", "h2", "h3", "h4"}) {
    REQUIRE(store->RegisterHost(MakeHost(id, "rack-1"), false).ok());
  }
  REQUIRE(store->RegisterHost(MakeHost("h5", "rack-2"), false).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t1", kT0)).ok());  // eligible
  Attestation bad = MakeAttestation("h2", "t2", kT0);
  bad.placement_eligible = false;
  REQUIRE(store->RecordAttestation(bad).ok());
  // h3: eligible once, its latest verdict expired by now; h4 and h5 never attested.
  REQUIRE(store->RecordAttestation(MakeAttestation("h3", "t3", kT0 - absl::Hours(1))).ok());
  Attestation moved = MakeAttestation("h1", "t4", kT0 + absl::Seconds(1));
  moved.group = "web";  // the verdict's group counts, not the registered one
  REQUIRE(store->RecordAttestation(moved).ok());

  auto counts = store->CountHostsByEligibility(kT0 + absl::Minutes(1));
  REQUIRE(counts.ok());
  std::vector<std::string> got;
  for (const GroupEligibility& c : *counts) {
    got.push_back(c.group + (c.eligible ? " eligible " : " not ") + std::to_string(c.hosts));
  }
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"rack-1 not 3", "rack-2 not 1", "web eligible 1"});
}

}  // namespace
}  // namespace bootgate::server::store
