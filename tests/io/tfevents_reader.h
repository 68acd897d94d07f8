// An independent reader of TensorBoard event files, for tests.
//
// Written from the format's documentation, not from bellman's writer: TFRecord framing as
// described in TensorFlow's tf.io.TFRecordWriter docs (uint64 length, uint32 masked CRC-32C of
// the length, data, uint32 masked CRC-32C of the data, little-endian; mask = rotate right by 15,
// add 0xa282ead8), protobuf wire format as described at protobuf.dev/programming-guides/encoding
// (tag = field << 3 | wire type; varint, 64-bit, length-delimited, 32-bit), and the Event /
// Summary field numbers of tensorboard/compat/proto/{event,summary}.proto. The CRC here is the
// bit-at-a-time definition (no table), so it also checks the writer's table-driven one.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bellman::test {

// CRC-32C straight from its definition: reflected input/output, polynomial 0x1EDC6F41
// (0x82F63B78 bit-reversed), register preset to all ones, result complemented.
inline uint32_t ReferenceCrc32c(const std::string& bytes) {
  uint32_t reg = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    reg ^= byte;
    for (int i = 0; i < 8; ++i) reg = (reg & 1u) ? (reg >> 1) ^ 0x82F63B78u : reg >> 1;
  }
  return reg ^ 0xFFFFFFFFu;
}

inline uint32_t ReferenceMaskedCrc32c(const std::string& bytes) {
  const uint32_t crc = ReferenceCrc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

inline uint64_t LoadLittleEndian(const std::string& bytes, size_t pos, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= uint64_t{static_cast<unsigned char>(bytes[pos + i])} << (8 * i);
  return v;
}

// Splits a TFRecord stream into payloads, verifying both CRCs of every record. Throws
// std::runtime_error naming the record index on a bad CRC or a truncated record.
inline std::vector<std::string> ReadTfRecords(const std::string& file) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < file.size()) {
    const size_t index = records.size();
    if (file.size() - pos < 12) {
      throw std::runtime_error("record " + std::to_string(index) + ": truncated header");
    }
    const std::string length_bytes = file.substr(pos, 8);
    const uint64_t length = LoadLittleEndian(file, pos, 8);
    const auto length_crc = static_cast<uint32_t>(LoadLittleEndian(file, pos + 8, 4));
    if (length_crc != ReferenceMaskedCrc32c(length_bytes)) {
      throw std::runtime_error("record " + std::to_string(index) + ": bad length CRC");
    }
    pos += 12;
    if (file.size() - pos < length + 4) {
      throw std::runtime_error("record " + std::to_string(index) + ": truncated data");
    }
    std::string data = file.substr(pos, length);
    const auto data_crc = static_cast<uint32_t>(LoadLittleEndian(file, pos + length, 4));
    if (data_crc != ReferenceMaskedCrc32c(data)) {
      throw std::runtime_error("record " + std::to_string(index) + ": bad data CRC");
    }
    pos += length + 4;
    records.push_back(std::move(data));
  }
  return records;
}

// One field of a protobuf message, as the wire format stores it.
struct WireField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t scalar = 0;  // varint, fixed64 or fixed32 value
  std::string bytes;    // length-delimited payload
};

inline uint64_t ReadVarint(const std::string& msg, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= msg.size()) throw std::runtime_error("protobuf: truncated varint");
    const auto byte = static_cast<unsigned char>(msg[pos++]);
    v |= uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80u) == 0) return v;
  }
  throw std::runtime_error("protobuf: varint longer than 10 bytes");
}

// Generic decoder: every field of a message, in order, without a schema.
inline std::vector<WireField> ParseWire(const std::string& msg) {
  std::vector<WireField> fields;
  size_t pos = 0;
  while (pos < msg.size()) {
    const uint64_t key = ReadVarint(msg, pos);
    WireField f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire_type = static_cast<uint32_t>(key & 7);
    if (f.number == 0) throw std::runtime_error("protobuf: field number 0");
    switch (f.wire_type) {
      case 0:
        f.scalar = ReadVarint(msg, pos);
        break;
      case 1:
        if (msg.size() - pos < 8) throw std::runtime_error("protobuf: truncated fixed64");
        f.scalar = LoadLittleEndian(msg, pos, 8);
        pos += 8;
        break;
      case 2: {
        const uint64_t n = ReadVarint(msg, pos);
        if (msg.size() - pos < n) throw std::runtime_error("protobuf: truncated bytes field");
        f.bytes = msg.substr(pos, n);
        pos += n;
        break;
      }
      case 5:
        if (msg.size() - pos < 4) throw std::runtime_error("protobuf: truncated fixed32");
        f.scalar = LoadLittleEndian(msg, pos, 4);
        pos += 4;
        break;
      default:
        throw std::runtime_error("protobuf: unsupported wire type " + std::to_string(f.wire_type));
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

struct ReadScalar {
  std::string tag;
  float value = 0;
};

// The parts of tensorboard.Event the tests look at. Unknown fields are kept in `other_fields`
// so that a test can assert there are none.
struct ReadEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::optional<std::string> file_version;
  std::optional<int64_t> session_log_status;
  std::vector<ReadScalar> scalars;
  int other_fields = 0;
};

inline void ExpectWireType(const WireField& f, uint32_t type, const char* name) {
  if (f.wire_type != type) {
    throw std::runtime_error(std::string(name) + ": wire type " + std::to_string(f.wire_type) +
                             ", expected " + std::to_string(type));
  }
}

inline ReadEvent DecodeEvent(const std::string& payload) {
  ReadEvent event;
  for (const WireField& f : ParseWire(payload)) {
    if (f.number == 1) {  // double wall_time
      ExpectWireType(f, 1, "Event.wall_time");
      std::memcpy(&event.wall_time, &f.scalar, 8);
    } else if (f.number == 2) {  // int64 step
      ExpectWireType(f, 0, "Event.step");
      event.step = static_cast<int64_t>(f.scalar);
    } else if (f.number == 3) {  // string file_version
      ExpectWireType(f, 2, "Event.file_version");
      event.file_version = f.bytes;
    } else if (f.number == 5) {  // Summary summary
      ExpectWireType(f, 2, "Event.summary");
      for (const WireField& v : ParseWire(f.bytes)) {
        if (v.number != 1) {
          ++event.other_fields;
          continue;
        }
        ExpectWireType(v, 2, "Summary.value");
        ReadScalar scalar;
        bool has_value = false;
        for (const WireField& g : ParseWire(v.bytes)) {
          if (g.number == 1) {
            ExpectWireType(g, 2, "Summary.Value.tag");
            scalar.tag = g.bytes;
          } else if (g.number == 2) {
            ExpectWireType(g, 5, "Summary.Value.simple_value");
            const auto bits = static_cast<uint32_t>(g.scalar);
            std::memcpy(&scalar.value, &bits, 4);
            has_value = true;
          } else {
            ++event.other_fields;
          }
        }
        if (!has_value) throw std::runtime_error("Summary.Value without simple_value");
        event.scalars.push_back(scalar);
      }
    } else if (f.number == 7) {  // SessionLog session_log
      ExpectWireType(f, 2, "Event.session_log");
      for (const WireField& g : ParseWire(f.bytes)) {
        if (g.number == 1) event.session_log_status = static_cast<int64_t>(g.scalar);
      }
    } else {
      ++event.other_fields;
    }
  }
  return event;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<ReadEvent> ReadEventFile(const std::string& path) {
  std::vector<ReadEvent> events;
  for (const std::string& record : ReadTfRecords(ReadWholeFile(path))) {
    events.push_back(DecodeEvent(record));
  }
  return events;
}

}  // namespace bellman::test
