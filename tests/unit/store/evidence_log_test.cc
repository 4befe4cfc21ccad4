// Stored evidence: each distinct event log once (by SHA-256, compressed), read back byte for
// byte; migration 0005 from a schema-4 database; retention per host. Runs on the backend
// TestDatabase selects, like store_test.cc.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/store/migrations.h"
#include "server/store/store.h"
#include "tests/unit/store/test_database.h"

namespace bootgate::server::store {
namespace {

using testing::TestDatabase;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

std::string ReadData(const std::string& relative) {
  const std::string path = absl::StrCat(BOOTGATE_SOURCE_DIR, "/tests/data/", relative);
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The logs of a fixture boot and of a real Debian Secure Boot guest.
std::string GoodHostLog() { return ReadData("appraisal/good-host/eventlog.bin"); }
std::string RealBootLog() { return ReadData("realboot/golden/eventlog.bin"); }

Host MakeHost(const std::string& id) {
  Host h;
  h.host_id = id;
  h.group = "rack-1";
  h.ak_public = "pem";
  h.ak_name = absl::StrCat("ak-", id);
  h.registered_at = kT0;
  h.registered_by = "admin";
  return h;
}

// An attestation as bootgated stores one, with the good-host bundle's quote.
Attestation MakeAttestation(const std::string& host, const std::string& token,
                            const std::string& log, absl::Time received = kT0,
                            const std::string& tier = "affirming") {
  Attestation a;
  a.host_id = host;
  a.group = "rack-1";
  a.received_at = received;
  a.token_id = token;
  a.tier = tier;
  a.placement_eligible = tier != "contraindicated";
  a.policy_name = "good-host";
  a.policy_version = 1;
  a.expires_at = received + absl::Minutes(10);
  a.verdict_jwt = std::string(700, 'j');  // an ES256 verdict JWT with EAR claims is about this
  a.findings_json = "[]";
  a.ak_name = absl::StrCat("ak-", host);
  a.evidence.quote_msg = ReadData("appraisal/good-host/quote.msg");
  a.evidence.quote_sig = ReadData("appraisal/good-host/quote.sig");
  a.evidence.event_log = log;
  a.clock_info = {1000, 1, 1};
  return a;
}

int64_t Count(TestDatabase& db, const std::string& table) {
  auto rows = db.Raw()->Query(absl::StrCat("SELECT COUNT(*) FROM ", table), {});
  REQUIRE(rows.ok());
  return rows->front().Int(0);
}

// Bytes the attestations and their logs take in the database: SQLite pages in use (through the
// WAL), PostgreSQL's two tables with their indexes and TOAST.
int64_t StoredBytes(TestDatabase& db) {
  auto raw = db.Raw();
  if (db.is_postgres()) {
    auto rows = raw->Query(
        "SELECT pg_total_relation_size('attestations') + COALESCE(pg_total_relation_size("
        "to_regclass('evidence_logs')), 0)",
        {});
    REQUIRE(rows.ok());
    return rows->front().Int(0);
  }
  auto pages = raw->Query("PRAGMA page_count", {});
  auto size = raw->Query("PRAGMA page_size", {});
  REQUIRE(pages.ok());
  REQUIRE(size.ok());
  return pages->front().Int(0) * size->front().Int(0);
}

// Records `count` attestations of host h1 carrying `log`, from 16 writers (group commit).
void RecordMany(Store& store, int count, const std::string& log) {
  const Attestation base = MakeAttestation("h1", "", log);
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  constexpr int kWriters = 16;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < count; i += kWriters) {
        Attestation a = base;
        a.token_id = absl::StrCat("token-", i);
        a.received_at = kT0 + absl::Seconds(i);
        if (!store.RecordAttestation(a).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  REQUIRE(failures == 0);
}

// A schema-4 database (as the bootgated before evidence_logs left it) with host h1.
void MakeSchema4(TestDatabase& db) {
  std::vector<internal::Migration> up_to_4;
  for (const internal::Migration& m : internal::EmbeddedMigrations()) {
    if (m.dialect == db.dialect() && m.version <= 4) up_to_4.push_back(m);
  }
  REQUIRE(up_to_4.size() == 4);
  auto raw = db.Raw();
  REQUIRE(internal::Migrate(*raw, up_to_4).ok());
  const internal::SqlParam host[] = {std::string("h1"), absl::ToUnixMicros(kT0)};
  REQUIRE(raw->Query("INSERT INTO hosts (host_id, host_group, ak_public, ak_name,"
                     " registered_at_us, registered_by, trust_path)"
                     " VALUES ($1, 'rack-1', 'pem', 'ak-h1', $2, 'admin', 'admin-registered')",
                     host)
              .ok());
}

// Inserts `a` into a schema-4 database, its event log inline as that schema kept it.
void InsertSchema4(internal::SqlConnection& raw, const Attestation& a) {
  const internal::SqlParam row[] = {a.host_id,
                                    absl::ToUnixMicros(a.received_at),
                                    internal::Bytes{a.token_id},
                                    a.tier,
                                    a.verdict_jwt,
                                    internal::Bytes{a.ak_name},
                                    internal::Bytes{a.evidence.quote_msg},
                                    internal::Bytes{a.evidence.quote_sig},
                                    internal::Bytes{a.evidence.event_log}};
  auto inserted = raw.Query(
      "INSERT INTO attestations (host_id, host_group, received_at_us, token_id, tier,"
      " placement_eligible, policy_name, policy_version, expires_at_us, verdict_jwt,"
      " findings_json, ak_name, tpm_clock, reset_count, restart_count, quote_msg, quote_sig,"
      " quote_pcrs, event_log) VALUES ($1, 'rack-1', $2, $3, $4, TRUE, 'good-host', 1, $2, $5,"
      " '[]', $6, 1000, 1, 1, $7, $8, '', $9)",
      row);
  INFO(inserted.status().ToString());
  REQUIRE(inserted.ok());
}

TEST_CASE("10,000 attestations of one boot chain store its event log once", "[store][evidence]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  const std::string log = GoodHostLog();
  constexpr int kCount = 10'000;
  RecordMany(*store, kCount, log);

  CHECK(Count(db, "attestations") == kCount);
  CHECK(Count(db, "evidence_logs") == 1);
  auto sizes = db.Raw()->Query("SELECT raw_size, length(data) FROM evidence_logs", {});
  REQUIRE(sizes.ok());
  CHECK(sizes->front().Int(0) == static_cast<int64_t>(log.size()));
  CHECK(sizes->front().Int(1) < sizes->front().Int(0));  // compressed
  const int64_t bytes = StoredBytes(db);
  WARN(db.dialect() << ": " << kCount << " attestations of one " << log.size()
                    << "-byte log: 1 stored log of " << sizes->front().Int(1) << " bytes, " << bytes
                    << " bytes in the database, " << bytes / kCount << " bytes per attestation; "
                    << store->write_stats().batches << " group commits");
  CHECK(bytes / kCount < static_cast<int64_t>(log.size()) / 4);

  // Every read with evidence returns exactly the original bytes.
  auto latest = store->LatestAttestation("h1");
  REQUIRE(latest.ok());
  CHECK(latest->evidence.event_log == log);
  CHECK(latest->evidence.quote_msg == ReadData("appraisal/good-host/quote.msg"));
  CHECK(store->GetAttestation(1)->evidence.event_log == log);
  CHECK(store->GetAttestationByToken("token-77")->evidence.event_log == log);
  AttestationFilter filter;
  filter.host_id = "h1";
  filter.page_size = AttestationFilter::kMaxPageSize;
  filter.include_evidence = true;
  auto page = store->ListAttestations(filter);
  REQUIRE(page.ok());
  REQUIRE(page->attestations.size() == AttestationFilter::kMaxPageSize);
  for (const Attestation& a : page->attestations) CHECK(a.evidence.event_log == log);
  filter.include_evidence = false;
  CHECK(store->ListAttestations(filter)->attestations.front().evidence.event_log.empty());
  CHECK(store->CheckIntegrity().ok());
}

TEST_CASE("distinct logs are stored apart, an empty log not at all, bytes kept exactly",
          "[store][evidence]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  // Binary bytes, NUL included, and a one-byte log: nothing is text.
  const std::vector<std::string> logs = {GoodHostLog(), RealBootLog(), std::string("\0\xff\0", 3),
                                         std::string(1, '\0'), ""};
  std::map<int64_t, std::string> by_id;
  for (size_t i = 0; i < 2 * logs.size(); ++i) {
    auto id = store->RecordAttestation(
        MakeAttestation("h1", absl::StrCat("t", i), logs[i % logs.size()]));
    REQUIRE(id.ok());
    by_id[*id] = logs[i % logs.size()];
  }
  CHECK(Count(db, "evidence_logs") == 4);
  CHECK(Count(db, "attestations WHERE event_log_digest IS NULL") == 2);
  for (const auto& [id, log] : by_id) {
    INFO(id);
    CHECK(store->GetAttestation(id)->evidence.event_log == log);
  }
}

TEST_CASE("a stored log that does not decode to its digest is DataLoss, never trusted",
          "[store][evidence]") {
  TestDatabase db;
  StoreOptions options;
  options.max_event_log_bytes = 64 * 1024;
  auto store = db.Open(options);
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  const std::string log = RealBootLog();
  auto id = store->RecordAttestation(MakeAttestation("h1", "t1", log));
  REQUIRE(id.ok());
  // Above the configured maximum: refused when stored.
  const absl::Status too_big =
      store
          ->RecordAttestation(
              MakeAttestation("h1", "t2", std::string(options.max_event_log_bytes + 1, 'x')))
          .status();
  CHECK(absl::IsInvalidArgument(too_big));

  auto raw = db.Raw();
  auto tamper = [&](const std::string& set) {
    REQUIRE(raw->Query(absl::StrCat("UPDATE evidence_logs SET ", set), {}).ok());
    const absl::Status read = store->GetAttestation(*id).status();
    INFO(set << ": " << read.ToString());
    CHECK(absl::IsDataLoss(read));
    CHECK_THAT(std::string(read.message()), Catch::Contains("stored event log sha256"));
    return std::string(read.message());
  };
  // A raw size above the maximum is not allocated: refused before decompressing.
  const std::string original_size = absl::StrCat(log.size());
  CHECK_THAT(tamper("raw_size = 1099511627776"), Catch::Contains("max_event_log_bytes"));
  CHECK_THAT(tamper(absl::StrCat("raw_size = ", log.size() - 1)), Catch::Contains("zlib"));
  CHECK_THAT(tamper(absl::StrCat("raw_size = ", log.size() + 1)),
             Catch::Contains("decompresses to"));
  tamper(absl::StrCat("raw_size = ", original_size, ", codec = 'zlib', data = digest"));
  CHECK(absl::IsDataLoss(store->LatestAttestation("h1").status()));
  AttestationFilter filter;
  filter.include_evidence = true;
  CHECK(absl::IsDataLoss(store->ListAttestations(filter).status()));
  filter.include_evidence = false;
  CHECK(store->ListAttestations(filter).ok());  // verdicts stay readable
}

TEST_CASE("writers on two replicas and retention sweeping at once lose no log",
          "[store][evidence]") {
  TestDatabase db;
  auto a = db.Open();
  auto b = db.Open();
  for (const char* host : {"h1", "h2"}) REQUIRE(a->RegisterHost(MakeHost(host), false).ok());
  const std::vector<std::string> logs = {GoodHostLog(), RealBootLog(), "log-c", "log-d"};
  // Made here: Catch's assertions (in ReadData) are not for other threads.
  const Attestation base = MakeAttestation("h1", "", "", kT0, "warning");
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::atomic<int> wrong_bytes{0};
  std::mutex mu;
  std::string first_failure;
  auto fail = [&](const absl::Status& status) {
    std::lock_guard lock(mu);
    if (failures++ == 0) first_failure = status.ToString();
  };
  // Keep only each host's latest row: every log but the latest ones keeps becoming
  // unreferenced while writers store it again.
  std::thread sweeper([&] {
    while (writing) {
      const absl::Status swept =
          a->ApplyRetention({1, absl::Microseconds(1)}, kT0 + absl::Hours(1)).status();
      if (!swept.ok()) fail(swept);
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      Store& store = w % 2 == 0 ? *a : *b;
      for (int i = 0; i < 40; ++i) {
        Attestation attestation = base;
        attestation.host_id = w % 3 == 0 ? "h1" : "h2";
        attestation.token_id = absl::StrCat("t", w, "-", i);
        attestation.evidence.event_log = logs[(i + w) % logs.size()];
        auto id = store.RecordAttestation(attestation);
        if (!id.ok()) {
          fail(id.status());
          continue;
        }
        auto read = store.GetAttestation(*id);
        if (read.ok() && read->evidence.event_log != attestation.evidence.event_log) ++wrong_bytes;
        if (!read.ok() && !absl::IsNotFound(read.status())) fail(read.status());
      }
    });
  }
  for (std::thread& t : writers) t.join();
  writing = false;
  sweeper.join();
  INFO(first_failure);
  CHECK(failures == 0);
  CHECK(wrong_bytes == 0);
  CHECK(a->CheckIntegrity().ok());
  // Every remaining attestation reads back; no stored log is unreferenced after one more pass.
  REQUIRE(a->ApplyRetention({0, absl::ZeroDuration()}, kT0).ok());
  CHECK(Count(db, "evidence_logs") ==
        Count(db, "(SELECT DISTINCT event_log_digest FROM attestations) t"));
  AttestationFilter filter;
  filter.include_evidence = true;
  filter.page_size = AttestationFilter::kMaxPageSize;
  auto page = a->ListAttestations(filter);
  REQUIRE(page.ok());
  CHECK_FALSE(page->attestations.empty());
}

TEST_CASE("a log swept by retention is stored again by the next attestation that sends it",
          "[store][evidence]") {
  TestDatabase db;
  auto store = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  const std::string log = GoodHostLog();
  // Twice: the second time the store finds the log stored, and remembers that.
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t1", log)).ok());
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "t2", log, kT0 + absl::Seconds(1))).ok());
  REQUIRE(
      store->RecordAttestation(MakeAttestation("h1", "t3", "other", kT0 + absl::Seconds(2))).ok());
  // Only the latest attestation stays, so the good-host log is no longer referenced: swept.
  auto swept = store->ApplyRetention({1, absl::Microseconds(1)}, kT0 + absl::Hours(1));
  REQUIRE(swept.ok());
  REQUIRE(Count(db, "evidence_logs") == 1);

  auto id = store->RecordAttestation(MakeAttestation("h1", "t4", log, kT0 + absl::Seconds(3)));
  REQUIRE(id.ok());
  CHECK(Count(db, "evidence_logs") == 2);
  auto read = store->GetAttestation(*id);
  REQUIRE(read.ok());
  CHECK(read->evidence.event_log == log);
  CHECK(store->CheckIntegrity().ok());
}

// --- migration 0005 ---

TEST_CASE("a schema-4 database migrates with its event logs stored once and readable",
          "[store][evidence]") {
  TestDatabase db;
  MakeSchema4(db);
  const std::string good = GoodHostLog();
  const std::string real = RealBootLog();
  const std::vector<std::string> logs = {good, real, good, "", good, std::string("\0\x01", 2)};
  {
    auto raw = db.Raw();
    for (size_t i = 0; i < logs.size(); ++i) {
      InsertSchema4(*raw, MakeAttestation("h1", absl::StrCat("old-", i), logs[i],
                                          kT0 + absl::Seconds(static_cast<int64_t>(i))));
    }
  }
  auto store = db.Open();
  CHECK(store->SchemaVersion() ==
        internal::NewestVersion(internal::EmbeddedMigrations(), db.dialect()));
  CHECK(Count(db, "evidence_logs") == 3);
  CHECK(Count(db, "attestations WHERE event_log_digest IS NULL") == 1);
  CHECK_FALSE(db.Raw()->Query("SELECT event_log FROM attestations", {}).ok());  // column dropped
  for (size_t i = 0; i < logs.size(); ++i) {
    INFO(i);
    auto a = store->GetAttestationByToken(absl::StrCat("old-", i));
    REQUIRE(a.ok());
    CHECK(a->evidence.event_log == logs[i]);
    CHECK(a->evidence.quote_msg == ReadData("appraisal/good-host/quote.msg"));
    CHECK(a->evidence.quote_pcrs.empty());
  }
  CHECK(store->CheckIntegrity().ok());
  // New attestations share the migrated logs.
  REQUIRE(store->RecordAttestation(MakeAttestation("h1", "new-1", real)).ok());
  CHECK(Count(db, "evidence_logs") == 3);
  CHECK(store->LatestAttestation("h1")->evidence.event_log == real);
}

// --- retention ---

// Attestation i of host h1 is received at kT0 + i hours.
absl::Time At(int i) { return kT0 + absl::Hours(i); }

TEST_CASE(
    "retention keeps the last N, the young, the latest, the latest affirming and "
    "contraindicated, and the logs they reference",
    "[store][retention]") {
  TestDatabase db;
  auto store = db.Open();
  for (const char* host : {"h1", "h2", "h3"}) {
    REQUIRE(store->RegisterHost(MakeHost(host), false).ok());
  }
  // h1: 20 attestations, one an hour. Tiers: 1, 2 affirming; 4, 5 contraindicated; the rest
  // warning. Logs: "kept" on the latest affirming one, "shared" on 6 and 16, "common" on the
  // others.
  std::map<int, int64_t> ids;
  for (int i = 0; i < 20; ++i) {
    const std::string tier = (i == 1 || i == 2)   ? "affirming"
                             : (i == 4 || i == 5) ? "contraindicated"
                                                  : "warning";
    const std::string log = i == 2 ? "kept" : (i == 6 || i == 16) ? "shared" : "common";
    auto id =
        store->RecordAttestation(MakeAttestation("h1", absl::StrCat("h1-", i), log, At(i), tier));
    REQUIRE(id.ok());
    ids[i] = *id;
  }
  // h2: two old warnings (within keep_last); h3: 6 old affirming ones.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(store
                ->RecordAttestation(
                    MakeAttestation("h2", absl::StrCat("h2-", i), "h2-log", At(i), "warning"))
                .ok());
  }
  for (int i = 0; i < 6; ++i) {
    REQUIRE(store->RecordAttestation(MakeAttestation("h3", absl::StrCat("h3-", i), "h3-log", At(i)))
                .ok());
  }
  // What retention must never touch.
  TpmRollback rollback;
  rollback.host_id = "h1";
  rollback.ak_name = "ak-h1";
  rollback.detected_at = At(3);
  rollback.code = "reset-count-decreased";
  REQUIRE(store->RecordRollback(rollback).ok());
  AuditRecord audit;
  audit.at = At(0);
  audit.action = "host.revoke";
  audit.host_id = "h2";
  audit.outcome = "ok";
  REQUIRE(store->AppendAudit(audit).ok());
  REQUIRE(store->RevokeHost("h2", "admin", "retired", At(2)).ok());

  // Nothing goes while either limit is 0 (keep forever).
  const absl::Time now = At(20);
  for (RetentionPolicy forever : {RetentionPolicy{0, absl::Hours(5)}, RetentionPolicy{3, {}}}) {
    auto none = store->ApplyRetention(forever, now);
    REQUIRE(none.ok());
    CHECK(none->attestations == 0);
    CHECK(none->event_logs == 0);
  }
  CHECK(Count(db, "attestations") == 28);

  // Keep the last 3 and everything younger than 5 hours: h1 keeps 15..19 (15 is exactly 5 hours
  // old), 2 (latest affirming) and 5 (latest contraindicated).
  auto pruned = store->ApplyRetention({3, absl::Hours(5)}, now);
  REQUIRE(pruned.ok());
  std::set<int64_t> kept_h1;
  AttestationFilter filter;
  filter.host_id = "h1";
  filter.include_evidence = true;
  auto page = store->ListAttestations(filter);
  REQUIRE(page.ok());
  for (const Attestation& a : page->attestations) kept_h1.insert(a.id);
  CHECK(kept_h1 == std::set<int64_t>{ids[2], ids[5], ids[15], ids[16], ids[17], ids[18], ids[19]});
  for (const Attestation& a : page->attestations) {
    CHECK(a.evidence.event_log == (a.id == ids[2]    ? "kept"
                                   : a.id == ids[16] ? "shared"
                                                     : "common"));
  }
  filter.host_id = "h2";
  CHECK(store->ListAttestations(filter)->attestations.size() == 2);
  filter.host_id = "h3";
  CHECK(store->ListAttestations(filter)->attestations.size() == 3);  // the last 3
  CHECK(pruned->hosts == 2);
  CHECK(pruned->attestations == 13 + 3);
  CHECK(pruned->event_logs == 0);  // "shared" is still on 16
  CHECK(Count(db, "evidence_logs") == 5);

  // A week later with the last 1: h1 keeps 19 (latest), 2 and 5; "shared" goes with 16.
  auto later = store->ApplyRetention({1, absl::Hours(5)}, now + absl::Hours(24 * 7));
  REQUIRE(later.ok());
  filter.host_id = "h1";
  kept_h1.clear();
  auto after = store->ListAttestations(filter);
  REQUIRE(after.ok());
  for (const Attestation& a : after->attestations) kept_h1.insert(a.id);
  CHECK(kept_h1 == std::set<int64_t>{ids[2], ids[5], ids[19]});
  CHECK(later->event_logs == 1);
  CHECK(Count(db, "evidence_logs") == 4);  // kept, common, h2-log, h3-log
  CHECK(store->LatestAttestation("h2")->evidence.event_log == "h2-log");
  CHECK(store->LatestAttestation("h3")->evidence.event_log == "h3-log");

  // Untouched: counters, rollbacks, revoked AKs, audit, hosts.
  CHECK(store->HighestClockInfo("ak-h1")->has_value());
  CHECK(store->OpenRollbacks("h1")->size() == 1);
  CHECK(store->RevokedAkInfo("ak-h2")->has_value());
  CHECK(store->ListAudit({})->records.size() == 1);
  CHECK(store->ListHosts()->size() == 3);
  CHECK(store->CheckIntegrity().ok());
  // Idempotent.
  auto again = store->ApplyRetention({1, absl::Hours(5)}, now + absl::Hours(24 * 7));
  REQUIRE(again.ok());
  CHECK(again->attestations == 0);
  CHECK(again->event_logs == 0);
}

// Not run by default (ctest): the figures of docs/performance.md, "Stored evidence".
//   build/tests/unit/store_test '[measure]'  (BOOTGATE_TEST_STORE_BACKEND=postgresql too)
TEST_CASE("bytes per attestation, event log inline (schema 4) and stored once", "[.][measure]") {
  constexpr int kCount = 10'000;
  for (const auto& [name, log] : std::vector<std::pair<std::string, std::string>>{
           {"good-host fixture", GoodHostLog()}, {"realboot golden", RealBootLog()}}) {
    int64_t inline_bytes = 0;
    {
      TestDatabase db;
      MakeSchema4(db);
      auto raw = db.Raw();
      Attestation a = MakeAttestation("h1", "", log);
      REQUIRE(raw->Exec(db.is_postgres() ? "BEGIN" : "BEGIN IMMEDIATE").ok());
      for (int i = 0; i < kCount; ++i) {
        a.token_id = absl::StrCat("t", i);
        InsertSchema4(*raw, a);
      }
      REQUIRE(raw->Exec("COMMIT").ok());
      inline_bytes = StoredBytes(db);
    }
    TestDatabase db;
    auto store = db.Open();
    REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
    RecordMany(*store, kCount, log);
    const int64_t shared_bytes = StoredBytes(db);
    WARN(db.dialect() << ", " << name << " log (" << log.size() << " bytes), " << kCount
                      << " attestations: inline " << inline_bytes / kCount
                      << " bytes/attestation, stored once " << shared_bytes / kCount
                      << " bytes/attestation");
  }
}

TEST_CASE("a log decoded before is decoded again once its stored bytes change",
          "[store][evidence]") {
  // Decoded logs are kept across reads (and stores) for the very bytes they came from: a
  // tampered row is checked again, and the untampered row reads as before.
  TestDatabase db;
  auto store = db.Open();
  auto other = db.Open();
  REQUIRE(store->RegisterHost(MakeHost("h1"), false).ok());
  const std::string log = RealBootLog();
  auto id = store->RecordAttestation(MakeAttestation("h1", "t1", log));
  REQUIRE(id.ok());
  for (int i = 0; i < 2; ++i) {
    CHECK(store->GetAttestation(*id)->evidence.event_log == log);
    CHECK(other->LatestAttestation("h1")->evidence.event_log == log);
  }
  auto raw = db.Raw();
  auto rows = raw->Query("SELECT data FROM evidence_logs", {});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const std::string stored = (*rows)[0].Str(0);
  std::string flipped = stored;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x01);
  const internal::SqlParam tampered[] = {internal::Bytes{flipped}};
  REQUIRE(raw->Query("UPDATE evidence_logs SET data = $1", tampered).ok());
  CHECK(absl::IsDataLoss(store->GetAttestation(*id).status()));
  CHECK(absl::IsDataLoss(other->LatestAttestation("h1").status()));
  const internal::SqlParam restored[] = {internal::Bytes{stored}};
  REQUIRE(raw->Query("UPDATE evidence_logs SET data = $1", restored).ok());
  CHECK(store->GetAttestation(*id)->evidence.event_log == log);
  CHECK(other->LatestAttestation("h1")->evidence.event_log == log);
}

}  // namespace
}  // namespace bootgate::server::store
