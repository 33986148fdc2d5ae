/* Ends the target region opened by target_avx2.h or target_avx512.h. */
#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
