// CRC-32 and CRC-32C (table-driven, slicing-by-8) and XXH64.
//
// XXH64 follows the xxHash specification (github.com/Cyan4973/xxHash, doc/xxhash_spec.md):
// four lanes consume 32-byte stripes, then the lanes are merged, the remaining bytes mixed in
// 8, 4 and 1 at a time, and the result avalanched. Inputs are read little-endian.
#include "bellman/io/checksum.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace bellman::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "checksum.cpp reads words with memcpy and assumes a little-endian host");

constexpr uint32_t kCrc32Poly = 0xEDB88320u;   // IEEE 802.3, bit-reversed.
constexpr uint32_t kCrc32cPoly = 0x82F63B78u;  // Castagnoli, bit-reversed.

// Slicing-by-8 tables of a reflected CRC-32 (Kounavis & Berry, "Novel Table Lookup-Based
// Algorithms for High-Performance CRC Generation", 2008): t[0] is the classic byte table,
// t[s][i] the CRC of byte i followed by s zero bytes.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables MakeCrcTables(uint32_t poly) {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? poly : 0u);
    t[0][i] = crc;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
  }
  return t;
}
constexpr CrcTables kCrc32Tables = MakeCrcTables(kCrc32Poly);
constexpr CrcTables kCrc32cTables = MakeCrcTables(kCrc32cPoly);

// Continues a reflected CRC (pre- and post-inverted) over `size` bytes, 8 at a time.
uint32_t CrcExtend(const CrcTables& t, uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (; size >= 8; p += 8, size -= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);  // little-endian host (static_assert above)
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
  }
  for (; size > 0; ++p, --size) crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xFFu];
  return ~crc;
}

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ull;

uint64_t Read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t Read32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  acc = std::rotl(acc, 31);
  return acc * kPrime1;
}

uint64_t MergeRound(uint64_t acc, uint64_t lane) {
  acc ^= Round(0, lane);
  return acc * kPrime1 + kPrime4;
}

// Consumes whole 32-byte stripes from p; returns the number of bytes consumed.
size_t ConsumeStripes(uint64_t acc[4], const unsigned char* p, size_t size) {
  size_t done = 0;
  for (; done + 32 <= size; done += 32) {
    acc[0] = Round(acc[0], Read64(p + done));
    acc[1] = Round(acc[1], Read64(p + done + 8));
    acc[2] = Round(acc[2], Read64(p + done + 16));
    acc[3] = Round(acc[3], Read64(p + done + 24));
  }
  return done;
}

// The tail of XXH64: h already holds the converged lanes (or seed + prime5) plus the length.
uint64_t Finish(uint64_t h, const unsigned char* p, size_t size) {
  for (; size >= 8; p += 8, size -= 8) {
    h ^= Round(0, Read64(p));
    h = std::rotl(h, 27) * kPrime1 + kPrime4;
  }
  if (size >= 4) {
    h ^= uint64_t{Read32(p)} * kPrime1;
    h = std::rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
    size -= 4;
  }
  for (; size > 0; ++p, --size) {
    h ^= uint64_t{*p} * kPrime5;
    h = std::rotl(h, 11) * kPrime1;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

uint64_t Converge(const uint64_t acc[4]) {
  uint64_t h =
      std::rotl(acc[0], 1) + std::rotl(acc[1], 7) + std::rotl(acc[2], 12) + std::rotl(acc[3], 18);
  for (int i = 0; i < 4; ++i) h = MergeRound(h, acc[i]);
  return h;
}

void InitLanes(uint64_t acc[4], uint64_t seed) {
  acc[0] = seed + kPrime1 + kPrime2;
  acc[1] = seed + kPrime2;
  acc[2] = seed;
  acc[3] = seed - kPrime1;
}

}  // namespace

uint32_t Crc32Extend(uint32_t crc, const void* data, size_t size) {
  return CrcExtend(kCrc32Tables, crc, data, size);
}

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size) {
  return CrcExtend(kCrc32cTables, crc, data, size);
}

uint64_t Checksum64(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h;
  size_t done = 0;
  if (size >= 32) {
    uint64_t acc[4];
    InitLanes(acc, seed);
    done = ConsumeStripes(acc, p, size);
    h = Converge(acc);
  } else {
    h = seed + kPrime5;
  }
  h += static_cast<uint64_t>(size);
  return Finish(h, p + done, size - done);
}

Checksum64Stream::Checksum64Stream(uint64_t seed) : seed_(seed) { InitLanes(acc_, seed); }

void Checksum64Stream::Update(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  total_ += size;
  if (buffered_ > 0) {
    const size_t take = std::min(size, sizeof(buffer_) - buffered_);
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    size -= take;
    if (buffered_ < sizeof(buffer_)) return;
    ConsumeStripes(acc_, buffer_, sizeof(buffer_));
    buffered_ = 0;
  }
  const size_t done = ConsumeStripes(acc_, p, size);
  std::memcpy(buffer_, p + done, size - done);
  buffered_ = size - done;
}

uint64_t Checksum64Stream::Digest() const {
  uint64_t h = total_ >= 32 ? Converge(acc_) : seed_ + kPrime5;
  h += total_;
  return Finish(h, buffer_, buffered_);
}

std::string ChecksumHex(uint64_t checksum) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, checksum >>= 4) out[i] = kDigits[checksum & 0xFu];
  return out;
}

}  // namespace bellman::io
