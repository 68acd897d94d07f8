#include "bellman/io/checksum.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/tfevents_reader.h"

namespace bellman::io {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

TEST(Crc32c, StandardCheckValue) {
  // The CRC catalogue's check value for CRC-32/ISCSI.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32c, Rfc3720Vectors) {
  // RFC 3720 (iSCSI), appendix B.4.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, MaskedVectorFromARealEventFile) {
  // A record payload taken from a TensorFlow-written event file,
  // Event(file_version="CRC test, one two"), and the masked CRC TensorFlow stored for it
  // (quoted by TensorBoard's Rust data server, tensorboard/data/server/masked_crc.rs).
  const std::string payload = Bytes({0x1a, 0x11}) + "CRC test, one two";
  EXPECT_EQ(MaskCrc32c(Crc32c(payload)), 0x5794d08au);
  EXPECT_EQ(test::ReferenceMaskedCrc32c(payload), 0x5794d08au);
}

TEST(Crc32c, MaskRoundTripsAndExtendConcatenates) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x80000000u}) {
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(crc)), crc);
  }
  EXPECT_EQ(MaskCrc32c(0), 0xa282ead8u);
  const std::string a = "hello, ", b = "world";
  EXPECT_EQ(Crc32cExtend(Crc32c(a), b.data(), b.size()), Crc32c(a + b));
}

TEST(Crc32c, TableMatchesBitwiseDefinition) {
  std::string data;
  uint32_t x = 12345;
  for (int n = 0; n < 300; ++n) {
    EXPECT_EQ(Crc32c(data), test::ReferenceCrc32c(data)) << "length " << n;
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
}

// The xxHash sanity buffer (xxhsum's BMK_sanityCheck): byte i is the top byte of a 32-bit
// generator that starts at 2654435761 and squares itself.
std::string SanityBuffer() {
  std::string buffer(101, '\0');
  uint32_t gen = 2654435761u;
  for (char& c : buffer) {
    c = static_cast<char>(gen >> 24);
    gen *= gen;
  }
  return buffer;
}

TEST(Checksum64, Xxh64ReferenceVectors) {
  EXPECT_EQ(Checksum64(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(Checksum64("a"), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(Checksum64("abc"), 0x44BC2CF5AD770999ull);
  EXPECT_EQ(Checksum64("Call me Ishmael."), 0x6d04390fc9d61a90ull);
  EXPECT_EQ(Checksum64("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ull);
  EXPECT_EQ(Checksum64("Some years ago--never mind how long precisely-"), 0x8f26f2b986afdc52ull);

  const std::string sanity = SanityBuffer();
  const uint64_t prime = 2654435761u;
  EXPECT_EQ(Checksum64(nullptr, 0, prime), 0xAC75FDA2929B17EFull);
  EXPECT_EQ(Checksum64(sanity.data(), 1, 0), 0x4FCE394CC88952D8ull);
  EXPECT_EQ(Checksum64(sanity.data(), 1, prime), 0x739840CB819FA723ull);
  EXPECT_EQ(Checksum64(sanity.data(), 14, 0), 0xCFFA8DB881BC3A3Dull);
  EXPECT_EQ(Checksum64(sanity.data(), 14, prime), 0x5B9611585EFCC9CBull);
  EXPECT_EQ(Checksum64(sanity.data(), 101, 0), 0x0EAB543384F878ADull);
  EXPECT_EQ(Checksum64(sanity.data(), 101, prime), 0xCAA65939306F1E21ull);
}

TEST(Checksum64, StreamEqualsOneShotForEverySplit) {
  std::string data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  for (size_t len : {0, 1, 31, 32, 33, 64, 100, 200}) {
    const std::string part = data.substr(0, len);
    const uint64_t want = Checksum64(part);
    for (size_t split = 0; split <= len; split += 7) {
      Checksum64Stream s;
      s.Update(part.substr(0, split));
      s.Update(part.substr(split));
      EXPECT_EQ(s.Digest(), want) << "len " << len << " split " << split;
    }
    Checksum64Stream bytewise;
    for (char c : part) bytewise.Update(&c, 1);
    EXPECT_EQ(bytewise.Digest(), want) << "len " << len;
  }
  const std::string sanity = SanityBuffer();
  Checksum64Stream seeded(2654435761u);
  for (char c : sanity) seeded.Update(&c, 1);
  EXPECT_EQ(seeded.Digest(), 0xCAA65939306F1E21ull);
}

TEST(Checksum64, DetectsASingleBitFlip) {
  std::string data(4096, 'x');
  const uint64_t before = Checksum64(data);
  data[1234] ^= 0x10;
  EXPECT_NE(Checksum64(data), before);
}

TEST(Checksum64, Hex) {
  EXPECT_EQ(ChecksumHex(0xEF46DB3751D8E999ull), "ef46db3751d8e999");
  EXPECT_EQ(ChecksumHex(0x1ull), "0000000000000001");
}

}  // namespace
}  // namespace bellman::io
