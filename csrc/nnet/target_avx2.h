/* Compiles the functions that follow for AVX2 + FMA, whatever the build's
 * baseline: the including file is only called after cpu.c has checked the
 * CPU.  Pair with target_end.h at the end of the file.  No include guard on
 * purpose: each such file includes it once. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
