#include "util/byte_codec.h"

namespace kix {

void ByteWriter::varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void ByteWriter::bytes(std::string_view s) {
  varint(s.size());
  out_.append(s);
}

void ByteWriter::hash(const Hash& h) {
  out_.append(reinterpret_cast<const char*>(h.bytes().data()), Hash::kSize);
}

bool ByteReader::varint(uint64_t& v) {
  if (!ok_) return false;
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in_.empty()) return fail();
    auto byte = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    // The tenth byte may carry only the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return fail();
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return fail();
}

bool ByteReader::bytes(std::string& s, size_t max_size) {
  uint64_t n = 0;
  if (!varint(n)) return false;
  if (n > in_.size() || n > max_size) return fail();
  s.assign(in_.substr(0, n));
  in_.remove_prefix(n);
  return true;
}

bool ByteReader::view(std::string_view& s) {
  uint64_t n = 0;
  if (!varint(n)) return false;
  if (n > in_.size()) return fail();
  s = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

bool ByteReader::hash(Hash& h) {
  if (!ok_ || in_.size() < Hash::kSize) return fail();
  h = Hash::from_bytes(in_.data());
  in_.remove_prefix(Hash::kSize);
  return true;
}

}  // namespace kix
