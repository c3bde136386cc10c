// File: tools/bench/api/bench_api.h
//
// The function tables of the modules that tools/bench loads. They are deliberately tiny: the
// benchmarks measure the loader and the call path, not the modules.

#ifndef HOTCC_TOOLS_BENCH_API_BENCH_API_H_
#define HOTCC_TOOLS_BENCH_API_BENCH_API_H_

#include <cstddef>

#include "reload/module_abi.h"
#include "tools/bench/api/api_fingerprint.h"

namespace hotcc::bench {

// A module padded with read-only data to a given file size (tools/bench/fixtures). Each size is
// built twice, as variant 1 (fixtures/a) and variant 2 (fixtures/b), so that a benchmark can
// alternate between two genuinely different files.
struct PaddedApi {
  // Which variant this build is: 1 or 2.
  int (*variant)();
  // The padding's byte at `index`, modulo its size. Referencing the padding keeps the linker
  // from dropping it.
  unsigned char (*padding_byte)(std::size_t index);
  // The padding's size in bytes.
  std::size_t (*padding_size)();
};

// The callee of the call-overhead benchmark (tools/bench/callee).
using AddFn = int(int a, int b);
struct CalleeApi {
  AddFn* add;
};

}  // namespace hotcc::bench

#endif  // HOTCC_TOOLS_BENCH_API_BENCH_API_H_
