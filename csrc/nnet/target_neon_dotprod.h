/* Compiles the functions that follow for Armv8.2 + the dot-product
 * extension (SDOT), whatever the build's baseline: the including file is
 * only called after cpu.c has seen HWCAP_ASIMDDP.  Pair with target_end.h. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("dotprod"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+dotprod")
#endif
