#include "store/root_encoding.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "util/error.h"
#include "util/spill_heap.h"

namespace kix {

std::string pack_hashes(const std::vector<Hash>& hashes) {
  std::string out(hashes.size() * Hash::kSize, '\0');
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(out.data() + i * Hash::kSize, hashes[i].bytes().data(), Hash::kSize);
  }
  return out;
}

std::vector<Hash> unpack_hashes(std::string_view bytes) {
  if (bytes.size() % Hash::kSize != 0) {
    throw Error(
        ErrorKind::kCorruption,
        "a root's node list is " + std::to_string(bytes.size()) + " bytes, not a multiple of 32",
        {}, "run `kix store verify`");
  }
  std::vector<Hash> out(bytes.size() / Hash::kSize);
  for (size_t i = 0; i < out.size(); ++i) out[i] = Hash::from_bytes(bytes.data() + i * Hash::kSize);
  return out;
}

std::string pack_delta(std::span<const Hash> base, std::span<const Hash> nodes, SpillHeap* memory,
                       size_t limit) {
  // One merge of the two lists, in order: removed hashes go after the
  // header, added ones beside it until they are appended; both stop at the
  // limit, so nothing larger than it is built.
  constexpr size_t kHashesPerPage = 4096 / Hash::kSize;
  std::string out(4, '\0');
  std::string added;
  auto append = [](std::string& to, const Hash& h) {
    to.append(reinterpret_cast<const char*>(h.bytes().data()), Hash::kSize);
  };
  size_t b = 0;
  size_t n = 0;
  size_t read = 0;
  while (b < base.size() || n < nodes.size()) {
    if (memory != nullptr && ++read % kHashesPerPage == 0) memory->touch();
    if (n == nodes.size() || (b < base.size() && base[b] < nodes[n])) {
      append(out, base[b++]);
    } else if (b == base.size() || nodes[n] < base[b]) {
      append(added, nodes[n++]);
    } else {
      ++b;
      ++n;
      continue;
    }
    if (out.size() + added.size() >= limit) return {};
  }
  if (out.size() + added.size() >= limit) return {};  // the header alone
  const size_t removed_count = (out.size() - 4) / Hash::kSize;
  if (removed_count > UINT32_MAX) return {};
  for (int k = 0; k < 4; ++k) out[k] = static_cast<char>((removed_count >> (8 * k)) & 0xff);
  out += added;
  return out;
}

namespace {

Error damaged_delta(const std::string& why) {
  return Error(ErrorKind::kCorruption, "a root's node delta is damaged: " + why, {},
               "run `kix store verify`");
}

// The delta's header: how many of its hashes are removed ones.
size_t removed_count(std::string_view delta) {
  if (delta.size() < 4 || (delta.size() - 4) % Hash::kSize != 0) {
    throw damaged_delta("wrong length");
  }
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(delta[i])); };
  const size_t removed = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
  if (removed > (delta.size() - 4) / Hash::kSize) {
    throw damaged_delta("more removed hashes than it holds");
  }
  return removed;
}

}  // namespace

size_t applied_size(size_t base_size, std::string_view delta) {
  const size_t removed = removed_count(delta);
  if (removed > base_size) throw damaged_delta("it removes hashes the base lacks");
  return base_size - removed + ((delta.size() - 4) / Hash::kSize - removed);
}

void apply_delta(std::span<const Hash> base, std::string_view delta, std::span<Hash> out,
                 SpillHeap* memory) {
  const size_t removed_count = kix::removed_count(delta);
  if (out.size() != applied_size(base.size(), delta)) {
    throw Error(ErrorKind::kInternal, "apply_delta: the output has the wrong size");
  }
  // One pass over the base and both lists, read in place: a chain of
  // deltas is applied once per generation a gc or verify decodes, and two
  // passes with copies of the lists were most of decoding.
  const char* removed = delta.data() + 4;
  const char* added = removed + removed_count * Hash::kSize;
  const size_t added_count = (delta.size() - 4) / Hash::kSize - removed_count;
  auto compare = [](const Hash& h, const char* p) {
    return std::memcmp(h.bytes().data(), p, Hash::kSize);
  };
  // Until the end it is not known that every removed hash was found: a
  // delta naming hashes past the base's last keeps more than `out` holds.
  size_t o = 0;
  constexpr size_t kHashesPerPage = 4096 / Hash::kSize;
  auto emit = [&](const Hash& h) {
    if (o == out.size()) throw damaged_delta("it removes hashes the base lacks");
    // A page of the output written, and about one of the base read.
    if (memory != nullptr && o % kHashesPerPage == 0) memory->touch(2);
    out[o++] = h;
  };
  size_t r = 0;
  size_t a = 0;
  for (const Hash& b : base) {
    int order = 1;
    if (r < removed_count && (order = compare(b, removed + r * Hash::kSize)) > 0) {
      throw damaged_delta("it removes hashes the base lacks");
    }
    if (order == 0) {
      ++r;
      continue;
    }
    // Added hashes that sort before this kept one come first; an equal one
    // after it (as std::merge orders them).
    while (a < added_count && compare(b, added + a * Hash::kSize) > 0) {
      emit(Hash::from_bytes(added + a++ * Hash::kSize));
    }
    emit(b);
  }
  if (r != removed_count) throw damaged_delta("it removes hashes the base lacks");
  while (a < added_count) emit(Hash::from_bytes(added + a++ * Hash::kSize));
}

std::vector<Hash> apply_delta(const std::vector<Hash>& base, std::string_view delta) {
  std::vector<Hash> out(applied_size(base.size(), delta));
  apply_delta(std::span<const Hash>(base), delta, std::span<Hash>(out));
  return out;
}

}  // namespace kix
