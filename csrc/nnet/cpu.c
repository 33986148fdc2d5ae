/* Run-time choice of the kernel path.  Only reads CPUID/XGETBV on x86, the
 * kernel's hardware capabilities on AArch64; nothing is cached, so there is
 * no global state to race on (the check is cheap and runs once per model
 * object). */
#include "kernels.h"

#include <stddef.h>

#ifdef DF_HAVE_NEON
#if defined(__linux__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif

/* Advanced SIMD is part of every AArch64 CPU; SDOT (FEAT_DotProd, Armv8.2,
 * optional before Armv8.4) is not, so ask the OS. */
static int arm_has_dotprod(void)
{
#if defined(__linux__)
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20) /* the Linux uapi value, for old headers */
#endif
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
    int v = 0;
    size_t len = sizeof v;
    return sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, NULL, 0) == 0 && v != 0;
#else
    return 0;
#endif
}
#endif

#ifdef DF_HAVE_X86
#include <cpuid.h>

static unsigned long long xgetbv0(void)
{
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static int x86_supports(df_isa isa)
{
    unsigned int a, b, c, d;
    unsigned long long xcr0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    /* OSXSAVE, AVX, FMA */
    if (!(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 12)))
        return 0;
    xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) /* OS saves XMM and YMM state */
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    if (!(b & (1u << 5))) /* AVX2 */
        return 0;
    if (isa == DF_ISA_AVX2)
        return 1;
    /* AVX-512: F (b16), BW (b30), VL (b31), VNNI (c11); OS saves ZMM state. */
    if ((xcr0 & 0xe6) != 0xe6)
        return 0;
    return (b & (1u << 16)) && (b & (1u << 30)) && (b & (1u << 31)) && (c & (1u << 11));
}
#endif

int df_isa_supported(df_isa isa)
{
    switch (isa) {
    case DF_ISA_SCALAR:
        return 1;
#ifdef DF_HAVE_X86
    case DF_ISA_AVX2:
    case DF_ISA_AVX512:
        return x86_supports(isa);
#endif
#ifdef DF_HAVE_NEON
    case DF_ISA_NEON:
        return 1;
    case DF_ISA_NEON_DOTPROD:
        return arm_has_dotprod();
#endif
    default:
        return 0;
    }
}

df_isa df_isa_best(void)
{
    if (df_isa_supported(DF_ISA_AVX512))
        return DF_ISA_AVX512;
    if (df_isa_supported(DF_ISA_AVX2))
        return DF_ISA_AVX2;
    if (df_isa_supported(DF_ISA_NEON_DOTPROD))
        return DF_ISA_NEON_DOTPROD;
    if (df_isa_supported(DF_ISA_NEON))
        return DF_ISA_NEON;
    return DF_ISA_SCALAR;
}

const df_kernels *df_kernels_get(df_isa isa)
{
    if (!df_isa_supported(isa))
        return NULL;
    switch (isa) {
#ifdef DF_HAVE_X86
    case DF_ISA_AVX2:
        return &df_kernels_avx2;
    case DF_ISA_AVX512:
        return &df_kernels_avx512;
#endif
#ifdef DF_HAVE_NEON
    case DF_ISA_NEON:
        return &df_kernels_neon;
    case DF_ISA_NEON_DOTPROD:
        return &df_kernels_neon_dotprod;
#endif
    default:
        return &df_kernels_scalar;
    }
}
