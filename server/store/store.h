// The durable store of bootgated: hosts, attestations (verdicts + evidence), policy versions.
// Two backends behind one interface, with the same schema and the same test suite:
//   "sqlite:///path/to/bootgate.db"   embedded default: WAL, synchronous=FULL, one file
//   "postgresql://..." / "postgres://..." or a libpq conninfo ("host=... dbname=...")
//       several replicas on one database: synchronous_commit=on, a small connection pool
// A Store is thread-safe: the server calls it from many threads at once.
#ifndef BOOTGATE_SERVER_STORE_STORE_H_
#define BOOTGATE_SERVER_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/records.h"

namespace bootgate::server::store {

class Store {
 public:
  virtual ~Store() = default;

  // Registers a host. AlreadyExists when host_id is registered and !replace; with replace the
  // host's group, AK and registration fields are overwritten (its history stays).
  // InvalidArgument for an empty host_id or group.
  virtual absl::Status RegisterHost(const Host& host, bool replace) = 0;
  // NotFound when the host is not registered.
  virtual absl::StatusOr<Host> GetHost(const std::string& host_id) = 0;
  // Every registered host, ordered by host_id.
  virtual absl::StatusOr<std::vector<Host>> ListHosts() = 0;

  // Stores one attestation atomically and returns its id. Returns only after the record is
  // committed (durably, per DurabilitySettings); concurrent calls share one transaction (group
  // commit). AlreadyExists when record.token_id was used before, by any replica: each token is
  // accepted once. FailedPrecondition when the host is not registered. InvalidArgument for an
  // empty host_id or token_id. Other failures: Unavailable / Internal, and nothing is stored.
  virtual absl::StatusOr<int64_t> RecordAttestation(const Attestation& record) = 0;
  // The host's most recent attestation, with evidence. NotFound when it has none.
  virtual absl::StatusOr<Attestation> LatestAttestation(const std::string& host_id) = 0;
  // One attestation with evidence. NotFound for an unknown id.
  virtual absl::StatusOr<Attestation> GetAttestation(int64_t id) = 0;
  // The attestation recorded under `token_id` (its public id), with evidence. NotFound if none.
  virtual absl::StatusOr<Attestation> GetAttestationByToken(const std::string& token_id) = 0;
  // Attestations matching `filter`, newest first, one page at a time.
  // InvalidArgument for a malformed page token or a negative page size.
  virtual absl::StatusOr<AttestationPage> ListAttestations(const AttestationFilter& filter) = 0;

  // Stores a policy version and returns its version number: policy.version == 0 assigns the
  // next version of policy.name; otherwise that exact version, AlreadyExists if it is taken.
  // InvalidArgument for an empty name or a negative version.
  virtual absl::StatusOr<int64_t> PutPolicy(const PolicyVersion& policy) = 0;
  // The given version of a policy, or its latest when version is nullopt. NotFound if absent.
  virtual absl::StatusOr<PolicyVersion> GetPolicy(const std::string& name,
                                                  std::optional<int64_t> version) = 0;

  // The clock info of the host's most recent attestation signed by ak_name, nullopt if none.
  virtual absl::StatusOr<std::optional<ClockInfo>> LastClockInfo(const std::string& host_id,
                                                                 const std::string& ak_name) = 0;

  // The effective durability settings, read back from the database.
  virtual absl::StatusOr<DurabilitySettings> Durability() = 0;
  // Checks the database's consistency (SQLite: PRAGMA integrity_check and foreign_key_check;
  // PostgreSQL: referential and uniqueness invariants). DataLoss naming the problem if any.
  virtual absl::Status CheckIntegrity() = 0;
  // The schema version the database is at (the newest migration this build knows).
  virtual int64_t SchemaVersion() const = 0;
  // Group-commit counters since open.
  virtual WriteStats write_stats() const = 0;
};

struct StoreOptions {
  int pool_size = 8;   // connections; for SQLite, readers share them with the one writer
  int max_batch = 64;  // most attestations one group-commit transaction carries
};

// Opens (creating if needed) the store at `url` and migrates its schema to the newest version.
// InvalidArgument for an unsupported URL (or "postgresql" in a build without BOOTGATE_POSTGRES);
// Unavailable when the database cannot be reached or opened; FailedPrecondition when its schema
// is newer than this build knows ("database schema version 7 is newer than this bootgated knows
// (1): upgrade bootgated").
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url,
                                                 const StoreOptions& options = {});

}  // namespace bootgate::server::store

#endif  // BOOTGATE_SERVER_STORE_STORE_H_
