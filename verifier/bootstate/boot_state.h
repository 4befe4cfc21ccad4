// The boot chain, layer by layer, as the replayed event log proves it. ExtractBootState
// (extract.h) builds it; policy (verifier/policy) judges it. Nothing here comes from data
// that was not verified against its digest, except fields marked "display only".
#ifndef BOOTGATE_VERIFIER_BOOTSTATE_BOOT_STATE_H_
#define BOOTGATE_VERIFIER_BOOTSTATE_BOOT_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "verifier/crypto/hash.h"

namespace bootgate::bootstate {

// Digests of one event, per bank.
using EventDigests = std::map<crypto::HashAlg, crypto::Digest>;

struct FirmwareLayer {
  std::optional<std::string> crtm_version;  // EV_S_CRTM_VERSION (verified)
  struct Blob {
    uint32_t event_index = 0;
    EventDigests digests;     // the blob's measurement: what a baseline compares
    std::string description;  // display only (BLOB2 description, or base/length)
  };
  std::vector<Blob> blobs;  // EV_EFI_PLATFORM_FIRMWARE_BLOB(2) in PCR 0
  EventDigests pcr0;        // replayed PCR 0 per bank
  EventDigests pcr2;        // replayed PCR 2 per bank (option ROMs)
};

// One certificate or hash from an EFI_SIGNATURE_LIST (PK, KEK, db, dbx).
struct SignatureEntry {
  enum class Kind { kX509, kSha256, kOther } kind = Kind::kOther;
  std::string sha256;   // lowercase hex: certificate fingerprint (X.509) or the hash
  std::string subject;  // X.509 only, display
  std::string owner;    // owner GUID, display
};

struct SecureBootVariable {
  uint32_t event_index = 0;
  std::vector<SignatureEntry> entries;
};

// An EV_EFI_VARIABLE_AUTHORITY event: which certificate verified an image.
struct Authority {
  uint32_t event_index = 0;
  std::string variable;                       // "db", "Shim", "MokListRT", "SbatLevel", ...
  std::optional<SignatureEntry> certificate;  // the certificate (db / Shim / MokList entry)
};

struct SecureBootLayer {
  std::optional<bool> enabled;        // SecureBoot variable, verified; nullopt if not measured
  std::optional<bool> setup_mode;     // SetupMode, if measured
  std::optional<bool> deployed_mode;  // DeployedMode, if measured
  std::optional<bool> audit_mode;     // AuditMode, if measured
  std::optional<uint32_t> secure_boot_event;
  std::optional<SecureBootVariable> pk, kek, db, dbx;
  // In log order: normally after the PCR 7 separator (shim and what it loads); option ROM
  // drivers verified before the separator come first.
  std::vector<Authority> authorities;
  std::optional<std::string> sbat_level;  // shim's SbatLevel text, if logged
};

// A boot application (PCR 4 EV_EFI_BOOT_SERVICES_APPLICATION) before ExitBootServices.
struct BootImage {
  uint32_t event_index = 0;
  EventDigests digests;  // Authenticode hash of the image: its identity
  std::string path;      // device path text (or grub's path for it): display only, never trusted
  bool from_memory = false;  // a PCR 4 image whose device path names no file
  // Later events that measured the same image again right after this one (grub under shim
  // can log the kernel twice in a row): one image, several events.
  std::vector<uint32_t> repeated_in{};
};

// A command grub ran (PCR 8 "grub_cmd: ...", verified), without its prefix.
struct GrubCommand {
  uint32_t event_index = 0;
  std::string text;
};

struct BootLoaderLayer {
  // The boot applications before the kernel, in load order: shim, grub, or another
  // loader (boot_chain.h says how the kernel is told apart).
  std::vector<BootImage> loaders;
  // Every command grub ran, in PCR 8 order (empty when no grub measured commands).
  std::vector<GrubCommand> grub_commands;
  // The configuration files grub read for its `source`/`configfile` commands (PCR 9: digest
  // of the contents; the path is the command's argument), linked as multiboot.h links loads.
  std::vector<BootImage> grub_config_files;
};

// A file grub loaded for a command: a multiboot kernel (`multiboot2`/`multiboot`: the
// hypervisor) or one of its modules (`module2`/`module`: for Xen the first is the dom0
// kernel, then its initrd), a Linux kernel (`linux`/`linuxefi`) or one initrd file
// (`initrd`/`initrdefi`). See multiboot.h for how a command is linked to the file grub
// measured for it.
struct GrubLoad {
  enum class Kind { kHypervisor, kModule, kLinux, kInitrd } kind = Kind::kHypervisor;
  uint32_t command_event = 0;  // the grub_cmd event (PCR 8, verified)
  std::string command;         // the command line of the load command (verified)
  std::string path;            // its path argument (from the verified command)
  // The PCR 9 measurement of that file (digest of the contents), or nullopt when no
  // measured file matches the command: then nothing proves what was loaded.
  std::optional<BootImage> file;
};

struct KernelLayer {
  std::optional<BootImage> image;  // the kernel's boot application (boot_chain.h)
  // How `image` was identified, or why there is none ("the only boot application: started
  // by the firmware"); display and findings.
  std::string image_reason;
  // grub's kernel_cmdline (PCR 8, verified without its prefix), if logged.
  std::optional<std::string> command_line;
  std::optional<uint32_t> command_line_event;
  // The Linux EFI stub's measurement of its load options (PCR 9 EV_EVENT_TAG 0x8F3B22ED,
  // "LOADED_IMAGE::LoadOptions"): the command line the firmware or a loader passed, as a
  // digest only (of the UTF-16LE text with its NUL), e.g. for a kernel the firmware started.
  std::optional<BootImage> load_options;
  // Files grub read (PCR 9 EV_IPL): the digest is of the file contents, the path (event
  // data) is display only. A hypervisor (multiboot2) or a kernel grub started without
  // LoadImage is identified here rather than in `image`.
  std::vector<BootImage> grub_files;
  // grub's last `linux`/`linuxefi` command and the file it read for it (PCR 9, linked as
  // multiboot loads are: multiboot.h). The kernel's identity when no PCR 4 image measured it
  // (Debian's grub under shim with Secure Boot off starts the kernel without LoadImage).
  std::optional<GrubLoad> grub_linux;
  // The initrd: one load per file of grub's last `initrd`/`initrdefi`/`initrd16` command after
  // its last `linux` command (grub concatenates them), each with the PCR 9 file grub read.
  std::vector<GrubLoad> grub_initrd;
  // The initrd the kernel's EFI stub measured itself (PCR 9 EV_EVENT_TAG 0x8F3B22EC, "Linux
  // initrd": digest of the initrd's contents), when it was handed one (QEMU -kernel/-initrd,
  // a loader serving LINUX_EFI_INITRD_MEDIA_GUID).
  std::optional<BootImage> stub_initrd;
  // When grub booted a multiboot kernel (a hypervisor such as Xen): the last `multiboot2`
  // (or `multiboot`) command first, then the module commands that followed it, in command
  // order. Empty when no verified multiboot command was measured.
  std::vector<GrubLoad> multiboot;
};

struct BootState {
  FirmwareLayer firmware;
  SecureBootLayer secure_boot;
  BootLoaderLayer boot_loader;
  KernelLayer kernel;
  std::vector<crypto::HashAlg> banks;  // banks the log replayed
};

}  // namespace bootgate::bootstate

#endif  // BOOTGATE_VERIFIER_BOOTSTATE_BOOT_STATE_H_
