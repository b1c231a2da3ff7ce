/* oneDNN's C API (Debian: libdnnl-dev): bf16 matrix products on CPUs with AVX512-BF16. */
#include <oneapi/dnnl/dnnl.h>
