// Event logs as the store keeps them: each distinct log once, in the evidence_logs table, keyed
// by its SHA-256 and compressed with zlib; attestation rows reference it (event_log_digest, NULL
// for an attestation without a log). A fleet sends the same boot chain over and over, so one
// row serves every attestation of that chain.
#ifndef BOOTGATE_SERVER_STORE_EVIDENCE_LOG_H_
#define BOOTGATE_SERVER_STORE_EVIDENCE_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

// evidence_logs.codec of a zlib stream (compress2 / uncompress).
inline constexpr char kCodecZlib[] = "zlib";

// A non-empty log on its way into the store.
struct EncodedLog {
  std::string digest;  // SHA-256 of the log, 32 bytes: the key
  int64_t raw_size = 0;
  // zlib of the log; nullopt when the caller found it stored already (PutLog compresses it
  // then only if it was deleted meanwhile).
  std::optional<std::string> compressed;
};

// SHA-256 of `log` (32 bytes). Internal if OpenSSL fails.
absl::StatusOr<std::string> LogDigest(std::string_view log);

// `log` compressed with zlib (compress2, default level). Internal when zlib fails.
absl::StatusOr<std::string> CompressLog(std::string_view log);

// Returns the stored log: `data` decompressed as `codec`, exactly raw_size bytes whose SHA-256
// is `digest`. DataLoss, naming the digest, when raw_size is not in 1..max_size (nothing is
// allocated beyond max_size, whatever the row says), the codec is unknown, zlib refuses the data
// or it does not decompress to exactly raw_size bytes, or the bytes do not hash to `digest`.
absl::StatusOr<std::string> DecodeLog(std::string_view digest, std::string_view codec,
                                      int64_t raw_size, std::string_view data, int64_t max_size);

// Decodes the logs of one query's rows; a row with the previous row's log reuses it (a page of
// one host's history usually holds one boot chain many times in a row), so decoding holds at
// most one log beyond what the rows return.
class LogDecoder {
 public:
  explicit LogDecoder(int64_t max_size) : max_size_(max_size) {}
  // The log of a row whose columns from `first` on are: attestations.event_log_digest,
  // evidence_logs.codec, raw_size, data (kLogColumns). Empty for a NULL digest (no log);
  // DataLoss when the row references a log that is not stored, or DecodeLog's.
  absl::StatusOr<std::string> Log(const SqlRow& row, size_t first);

 private:
  const int64_t max_size_;
  std::string last_digest_;
  std::string last_log_;
};

// The columns LogDecoder::Log reads, for a SELECT over kLogJoin.
inline constexpr char kLogColumns[] =
    "attestations.event_log_digest, evidence_logs.codec, evidence_logs.raw_size,"
    " evidence_logs.data";
inline constexpr char kLogJoin[] =
    " LEFT JOIN evidence_logs ON evidence_logs.digest = attestations.event_log_digest";

// Stores the log `log` describes (its bytes `raw`) unless it is stored already, inside the
// caller's write transaction; concurrent writers of the same log (other replicas, or records of
// the same batch) store it once. Compresses `raw` only when log.compressed is nullopt and the
// log is not stored.
absl::Status PutLog(SqlConnection& conn, const EncodedLog& log, std::string_view raw);

// Deletes every stored log no attestation references, inside the caller's write transaction
// (after dialect().log_sweep_lock). Returns how many it deleted.
absl::StatusOr<int64_t> DeleteUnreferencedLogs(SqlConnection& conn);

// The data step of migration 0005_evidence_logs (SHA-256 and zlib are not SQL): moves every
// attestation's event_log into evidence_logs, sets its event_log_digest, and drops the
// attestations.event_log column. Runs inside the migration's transaction, a few rows at a time.
absl::Status MoveEventLogsToEvidenceLogs(SqlConnection& conn);

}  // namespace bootgate::server::store::internal

#endif  // BOOTGATE_SERVER_STORE_EVIDENCE_LOG_H_
