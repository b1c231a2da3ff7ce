/* oneDNN's C API (Debian: libdnnl-dev): bf16 matrix products on CPUs with AVX512-BF16.
 * The library is opened on first use (dnnl_loader.c), not linked: a process that never runs bf16, such as
 * every search, does not pay for loading it and its OpenMP and OpenCL runtimes. */
#include <oneapi/dnnl/dnnl.h>

/* 1 when libdnnl.so.2 is (or can now be) loaded, else 0; every dnnl_ call fails while it is 0. */
int engram_dnnl_available(void);
