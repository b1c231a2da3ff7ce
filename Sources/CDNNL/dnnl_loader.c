// The oneDNN functions Engram calls, resolved from libdnnl.so.2 when first needed.
//
// Linking libdnnl costs every process a few milliseconds at start (a large C++ library and the OpenMP and
// OpenCL runtimes it brings), which a short search spends for nothing: it embeds its query in fp32. Each
// function here has the prototype dnnl.h declares (the compiler checks it) and forwards to the library's own,
// which dlopen loads once, thread-safely, on the first call. Without the library the calls fail with
// dnnl_runtime_error and engram_dnnl_available() says 0, so bf16 is simply not offered.
#include "CDNNL.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#define DNNL_FUNCTIONS(X) \
    X(dnnl_status_t, dnnl_engine_create, (dnnl_engine_t *engine, dnnl_engine_kind_t kind, size_t index), (engine, kind, index)) \
    X(dnnl_status_t, dnnl_memory_create, (dnnl_memory_t *memory, const dnnl_memory_desc_t *memory_desc, dnnl_engine_t engine, void *handle), (memory, memory_desc, engine, handle)) \
    X(dnnl_status_t, dnnl_memory_destroy, (dnnl_memory_t memory), (memory)) \
    X(dnnl_status_t, dnnl_memory_set_data_handle, (dnnl_memory_t memory, void *handle), (memory, handle)) \
    X(dnnl_status_t, dnnl_memory_desc_init_by_tag, (dnnl_memory_desc_t *memory_desc, int ndims, const dnnl_dims_t dims, dnnl_data_type_t data_type, dnnl_format_tag_t tag), (memory_desc, ndims, dims, data_type, tag)) \
    X(dnnl_status_t, dnnl_memory_desc_init_by_strides, (dnnl_memory_desc_t *memory_desc, int ndims, const dnnl_dims_t dims, dnnl_data_type_t data_type, const dnnl_dims_t strides), (memory_desc, ndims, dims, data_type, strides)) \
    X(dnnl_status_t, dnnl_stream_create, (dnnl_stream_t *stream, dnnl_engine_t engine, unsigned flags), (stream, engine, flags)) \
    X(dnnl_status_t, dnnl_stream_wait, (dnnl_stream_t stream), (stream)) \
    X(dnnl_status_t, dnnl_stream_destroy, (dnnl_stream_t stream), (stream)) \
    X(dnnl_status_t, dnnl_primitive_create, (dnnl_primitive_t *primitive, const_dnnl_primitive_desc_t primitive_desc), (primitive, primitive_desc)) \
    X(dnnl_status_t, dnnl_primitive_execute, (const_dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs, const dnnl_exec_arg_t *args), (primitive, stream, nargs, args)) \
    X(dnnl_status_t, dnnl_primitive_destroy, (dnnl_primitive_t primitive), (primitive)) \
    X(dnnl_status_t, dnnl_primitive_desc_create, (dnnl_primitive_desc_t *primitive_desc, const_dnnl_op_desc_t op_desc, const_dnnl_primitive_attr_t attr, dnnl_engine_t engine, const_dnnl_primitive_desc_t hint_forward_primitive_desc), (primitive_desc, op_desc, attr, engine, hint_forward_primitive_desc)) \
    X(dnnl_status_t, dnnl_primitive_desc_destroy, (dnnl_primitive_desc_t primitive_desc), (primitive_desc)) \
    X(dnnl_status_t, dnnl_reorder_primitive_desc_create, (dnnl_primitive_desc_t *reorder_primitive_desc, const dnnl_memory_desc_t *src_desc, dnnl_engine_t src_engine, const dnnl_memory_desc_t *dst_desc, dnnl_engine_t dst_engine, const_dnnl_primitive_attr_t attr), (reorder_primitive_desc, src_desc, src_engine, dst_desc, dst_engine, attr)) \
    X(dnnl_status_t, dnnl_primitive_attr_create, (dnnl_primitive_attr_t *attr), (attr)) \
    X(dnnl_status_t, dnnl_primitive_attr_destroy, (dnnl_primitive_attr_t attr), (attr)) \
    X(dnnl_status_t, dnnl_primitive_attr_set_scratchpad_mode, (dnnl_primitive_attr_t attr, dnnl_scratchpad_mode_t mode), (attr, mode)) \
    X(dnnl_status_t, dnnl_primitive_attr_set_post_ops, (dnnl_primitive_attr_t attr, const_dnnl_post_ops_t post_ops), (attr, post_ops)) \
    X(dnnl_status_t, dnnl_primitive_attr_set_output_scales, (dnnl_primitive_attr_t attr, dnnl_dim_t count, int mask, const float *scales), (attr, count, mask, scales)) \
    X(dnnl_status_t, dnnl_post_ops_create, (dnnl_post_ops_t *post_ops), (post_ops)) \
    X(dnnl_status_t, dnnl_post_ops_destroy, (dnnl_post_ops_t post_ops), (post_ops)) \
    X(dnnl_status_t, dnnl_post_ops_append_eltwise, (dnnl_post_ops_t post_ops, float scale, dnnl_alg_kind_t alg_kind, float alpha, float beta), (post_ops, scale, alg_kind, alpha, beta)) \
    X(dnnl_status_t, dnnl_matmul_desc_init, (dnnl_matmul_desc_t *matmul_desc, const dnnl_memory_desc_t *src_desc, const dnnl_memory_desc_t *weights_desc, const dnnl_memory_desc_t *bias_desc, const dnnl_memory_desc_t *dst_desc), (matmul_desc, src_desc, weights_desc, bias_desc, dst_desc))

// One pointer per function, filled by load().
#define DECLARE_POINTER(ret, name, params, args) static ret (*p_##name) params;
DNNL_FUNCTIONS(DECLARE_POINTER)
static const dnnl_memory_desc_t *(*p_dnnl_primitive_desc_query_md)(const_dnnl_primitive_desc_t, dnnl_query_t, int);
static dnnl_cpu_isa_t (*p_dnnl_get_effective_cpu_isa)(void);
static size_t (*p_dnnl_memory_desc_get_size)(const dnnl_memory_desc_t *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded = 0;

static void load(void) {
    // Global, as a linked library's symbols are: the engine sets OpenMP's team size through libgomp's.
    void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) return;
    int complete = 1;
#define RESOLVE(ret, name, params, args) \
    if (!(p_##name = (ret(*) params)dlsym(lib, #name))) complete = 0;
    DNNL_FUNCTIONS(RESOLVE)
    if (!(p_dnnl_primitive_desc_query_md = (const dnnl_memory_desc_t *(*)(const_dnnl_primitive_desc_t, dnnl_query_t, int))
              dlsym(lib, "dnnl_primitive_desc_query_md"))) complete = 0;
    if (!(p_dnnl_get_effective_cpu_isa = (dnnl_cpu_isa_t(*)(void))dlsym(lib, "dnnl_get_effective_cpu_isa"))) complete = 0;
    if (!(p_dnnl_memory_desc_get_size = (size_t(*)(const dnnl_memory_desc_t *))dlsym(lib, "dnnl_memory_desc_get_size"))) complete = 0;
    // A library missing one of them is not used at all.
    loaded = complete;
}

int engram_dnnl_available(void) {
    pthread_once(&once, load);
    return loaded;
}

#define FORWARD_STATUS(ret, name, params, args) \
    ret name params { return engram_dnnl_available() ? p_##name args : (ret)dnnl_runtime_error; }
DNNL_FUNCTIONS(FORWARD_STATUS)

const dnnl_memory_desc_t *dnnl_primitive_desc_query_md(const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index) {
    return engram_dnnl_available() ? p_dnnl_primitive_desc_query_md(primitive_desc, what, index) : NULL;
}

dnnl_cpu_isa_t dnnl_get_effective_cpu_isa(void) {
    return engram_dnnl_available() ? p_dnnl_get_effective_cpu_isa() : dnnl_cpu_isa_all;
}

size_t dnnl_memory_desc_get_size(const dnnl_memory_desc_t *memory_desc) {
    return engram_dnnl_available() ? p_dnnl_memory_desc_get_size(memory_desc) : 0;
}
