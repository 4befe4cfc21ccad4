#include "server/bootgated/policy_holder.h"

#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "verifier/bytes/status_macros.h"
#include "verifier/policy/load.h"

namespace bootgate::service {

absl::StatusOr<std::shared_ptr<const ActivePolicy>> LoadPolicyFile(const std::string& path) {
  if (path.empty()) return nullptr;
  // A file that is not there says so before anything is said of its name.
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read policy_file ", path, ": ", std::strerror(errno)));
  }
  ASSIGN_OR_RETURN(policy::PolicyFormat format, policy::PolicyFormatFromPath(path));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSIGN_OR_RETURN(v1::Policy loaded, policy::LoadPolicy(text, format, path));
  auto active = std::make_shared<ActivePolicy>();
  active->policy = std::move(loaded);
  active->stored_at = absl::Now();
  return active;
}

PolicyHolder::PolicyHolder(server::store::Store* store,
                           std::shared_ptr<const ActivePolicy> file_policy, absl::Duration refresh)
    : store_(store), refresh_(refresh), file_policy_(file_policy), current_(file_policy) {}

void PolicyHolder::SetFilePolicy(std::shared_ptr<const ActivePolicy> file_policy) {
  absl::MutexLock lock(&mu_);
  // The file's policy is in use only while no pushed version is (store_version 0).
  if (!current_ || current_->store_version == 0) current_ = file_policy;
  file_policy_ = std::move(file_policy);
}

std::shared_ptr<const ActivePolicy> PolicyHolder::FilePolicy() const {
  absl::MutexLock lock(&mu_);
  return file_policy_;
}

absl::StatusOr<std::shared_ptr<const ActivePolicy>> PolicyHolder::LoadStored(
    std::optional<int64_t> version) {
  auto stored = store_->GetPolicy(kStorePolicyName, version);
  if (!stored.ok()) return stored.status();
  auto active = std::make_shared<ActivePolicy>();
  // Stored text is what Push wrote: the validated policy as protobuf JSON.
  auto parsed = google::protobuf::util::JsonStringToMessage(stored->text, &active->policy);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat("stored policy version ", stored->version,
                                            " does not parse: ", std::string(parsed.message())));
  }
  active->store_version = stored->version;
  active->stored_at = stored->created_at;
  return active;
}

std::shared_ptr<const ActivePolicy> PolicyHolder::Current() {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (now - last_refresh_ < refresh_) return current_;
    last_refresh_ = now;
  }
  auto latest = LoadStored(std::nullopt);
  absl::MutexLock lock(&mu_);
  if (latest.ok() && (!current_ || current_->store_version < (*latest)->store_version)) {
    current_ = *latest;
  }
  return current_;
}

absl::StatusOr<std::shared_ptr<const ActivePolicy>> PolicyHolder::FindVersion(
    const std::string& version) {
  auto latest = LoadStored(std::nullopt);
  if (latest.ok()) {
    for (int64_t v = (*latest)->store_version; v >= 1; --v) {
      auto candidate = v == (*latest)->store_version ? latest : LoadStored(v);
      if (candidate.ok() && (*candidate)->policy.version() == version) return candidate;
    }
  } else if (!absl::IsNotFound(latest.status())) {
    return latest.status();
  }
  if (auto file = FilePolicy(); file && file->policy.version() == version) return file;
  return absl::NotFoundError(absl::StrCat("no stored policy has version \"", version, "\""));
}

absl::StatusOr<std::shared_ptr<const ActivePolicy>> PolicyHolder::Push(
    const v1::Policy& policy, const std::string& expected_active_version,
    const std::string& pushed_by) {
  absl::MutexLock push_lock(&push_mu_);
  {
    absl::MutexLock lock(&mu_);
    last_refresh_ = absl::InfinitePast();  // decide on the store's view, not the cache
  }
  std::shared_ptr<const ActivePolicy> active = Current();
  if (!expected_active_version.empty()) {
    const std::string seen = active ? active->policy.version() : "";
    if (seen != expected_active_version) {
      return absl::AbortedError(absl::StrCat("the active policy is version \"", seen, "\", not \"",
                                             expected_active_version,
                                             "\": someone pushed first; fetch it and retry"));
    }
  }
  auto existing = FindVersion(policy.version());
  if (existing.ok() && (*existing)->store_version != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("policy version \"", policy.version(),
                     "\" is already stored: give the new policy a new version string"));
  }
  std::string text;
  auto printed = google::protobuf::util::MessageToJsonString(policy, &text);
  if (!printed.ok()) return absl::InternalError(std::string(printed.message()));
  server::store::PolicyVersion row;
  row.name = kStorePolicyName;
  row.text = std::move(text);
  row.created_at = absl::Now();
  row.created_by = pushed_by;
  auto version = store_->PutPolicy(row);
  if (!version.ok()) return version.status();
  auto stored = std::make_shared<ActivePolicy>();
  stored->policy = policy;
  stored->store_version = *version;
  stored->stored_at = row.created_at;
  absl::MutexLock lock(&mu_);
  current_ = stored;
  last_refresh_ = absl::Now();
  return std::shared_ptr<const ActivePolicy>(stored);
}

}  // namespace bootgate::service
