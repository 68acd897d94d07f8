// Checksums for files bellman writes.
//
// - CRC-32 (IEEE 802.3, the CRC of zlib, gzip and PNG): the integrity check of replay files
//   (docs/replay.md).
// - CRC-32C (Castagnoli) with TensorFlow's "mask": the integrity check of TFRecord framing, used
//   by TensorBoard event files (see docs/io.md).
// - Checksum64: XXH64 (xxHash, 64-bit, seed 0), the integrity check of checkpoint payloads
//   (replay buffer columns, archives). XXH64 is a documented, widely available format
//   (`xxhsum -H1` prints the same value), fast enough (several GB/s) that hashing a large replay
//   buffer costs far less than writing it, and it catches the truncation and bit-flips a
//   checkpoint can suffer. It is not a cryptographic hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bellman::io {

// CRC-32C, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF (the iSCSI
// CRC, RFC 3720). Crc32cExtend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);
inline uint32_t Crc32c(const void* data, size_t size) { return Crc32cExtend(0, data, size); }
inline uint32_t Crc32c(std::string_view bytes) { return Crc32c(bytes.data(), bytes.size()); }

// CRC-32, reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF: zlib's
// crc32(), Python's zlib.crc32 (check value Crc32("123456789") == 0xCBF43926).
// Crc32Extend(Crc32(a), b) == Crc32(a + b), so a file can be checksummed while it is streamed.
uint32_t Crc32Extend(uint32_t crc, const void* data, size_t size);
inline uint32_t Crc32(const void* data, size_t size) { return Crc32Extend(0, data, size); }
inline uint32_t Crc32(std::string_view bytes) { return Crc32(bytes.data(), bytes.size()); }

// TensorFlow masks CRCs stored next to the data they cover, because a CRC of a string that itself
// contains embedded CRCs is degenerate: rotate right by 15 bits and add a constant.
inline constexpr uint32_t kCrc32cMaskDelta = 0xa282ead8u;
inline uint32_t MaskCrc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta; }
inline uint32_t UnmaskCrc32c(uint32_t masked) {
  const uint32_t rot = masked - kCrc32cMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// XXH64 of a buffer in one call.
uint64_t Checksum64(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t Checksum64(std::string_view bytes) {
  return Checksum64(bytes.data(), bytes.size());
}

// XXH64 over data given in pieces (e.g. one replay column after another while writing them):
// Update(a); Update(b); Digest() == Checksum64(a + b), whatever the split.
class Checksum64Stream {
 public:
  explicit Checksum64Stream(uint64_t seed = 0);
  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // The checksum of everything so far; the stream can continue after it.
  uint64_t Digest() const;

 private:
  uint64_t seed_;
  uint64_t acc_[4];
  uint64_t total_ = 0;
  unsigned char buffer_[32];
  size_t buffered_ = 0;
};

// "0123456789abcdef": 16 lowercase hex digits, the form written into checkpoint headers.
std::string ChecksumHex(uint64_t checksum);

}  // namespace bellman::io
