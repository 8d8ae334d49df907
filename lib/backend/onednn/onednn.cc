// oneDNN kernels for the `onednn` tfjs backend (lib/backend/onednn/index.ts).
//
// Every function takes Float32Arrays that view the wasm backend's heap (tfjs tensors in NHWC,
// filters in HWIO) and writes its result in place, so no tensor is copied between JS and C++.
// Primitives are created once per shape and cached: each entry holds the primitive, the
// internal (blocked) buffers oneDNN prefers (format_tag::any) and the reorders from/to the
// plain layouts.
#include <napi.h>
#include <dlfcn.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream& strm() {
  static stream s(eng());
  return s;
}

std::string key_of(const char* kind, const std::vector<int64_t>& v) {
  std::string k(kind);
  for (auto x : v) k += "," + std::to_string(x);
  return k;
}

float* f32(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }

std::vector<int64_t> ints(const Napi::Value& v) {
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

// A plain user buffer and the buffer the primitive wants; reorders only when they differ.
struct Slot {
  memory user, inner;
  bool differs = false;
  reorder to_inner, to_user;
  void init(const memory::desc& user_md, const memory::desc& want, bool in, bool out) {
    user = memory(user_md, eng(), DNNL_MEMORY_NONE);
    differs = !(user_md == want);
    inner = differs ? memory(want, eng()) : user;
    if (differs && in) to_inner = reorder(user, inner);
    if (differs && out) to_user = reorder(inner, user);
  }
  memory& bind(float* p) {
    user.set_data_handle(p);
    return differs ? inner : user;
  }
  void load() {
    if (differs) to_inner.execute(strm(), user, inner);
  }
  void store() {
    if (differs) to_user.execute(strm(), inner, user);
  }
};

// Activation fused after a conv or matmul, as tfjs names them (prelu is not fused here).
enum Act { LINEAR = 0, RELU = 1, RELU6 = 2, ELU = 3, SIGMOID = 4, LEAKYRELU = 5 };

primitive_attr act_attr(int act, float alpha) {
  primitive_attr attr;
  post_ops po;
  switch (act) {
    case RELU: po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f); break;
    case RELU6: po.append_eltwise(1.f, algorithm::eltwise_clip, 0.f, 6.f); break;
    case ELU: po.append_eltwise(1.f, algorithm::eltwise_elu, 1.f, 0.f); break;
    case SIGMOID: po.append_eltwise(1.f, algorithm::eltwise_logistic, 0.f, 0.f); break;
    case LEAKYRELU: po.append_eltwise(1.f, algorithm::eltwise_relu, alpha, 0.f); break;
    default: break;
  }
  attr.set_post_ops(po);
  return attr;
}

// Geometry of a 2-D convolution, in the order the JS side sends it.
struct ConvGeom {
  int64_t n, h, w, c, kh, kw, f, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  explicit ConvGeom(const std::vector<int64_t>& g)
      : n(g[0]), h(g[1]), w(g[2]), c(g[3]), kh(g[4]), kw(g[5]), f(g[6]), oh(g[7]), ow(g[8]),
        sh(g[9]), sw(g[10]), dh(g[11]), dw(g[12]), pt(g[13]), pl(g[14]), pb(g[15]), pr(g[16]) {}
  memory::dims src() const { return {n, c, h, w}; }
  memory::dims wei() const { return {f, c, kh, kw}; }
  memory::dims dst() const { return {n, f, oh, ow}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dil() const { return {dh - 1, dw - 1}; }
  memory::dims padl() const { return {pt, pl}; }
  memory::dims padr() const { return {pb, pr}; }
};

memory::desc any_md(const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); }

convolution_forward::primitive_desc conv_fwd_pd(const ConvGeom& g, bool bias,
                                                const primitive_attr& attr) {
  memory::desc bmd = bias ? memory::desc({g.f}, dt::f32, tag::a) : memory::desc();
  auto d = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct,
                                     any_md(g.src()), any_md(g.wei()), bmd, any_md(g.dst()),
                                     g.strides(), g.dil(), g.padl(), g.padr());
  return convolution_forward::primitive_desc(d, attr, eng());
}

struct ConvFwd {
  convolution_forward prim;
  Slot src, wei, dst;
  memory bias;
  bool has_bias;
  std::string impl;
};

struct ConvBwdData {
  convolution_backward_data prim;
  Slot dy, wei, dx;
  std::string impl;
};

struct ConvBwdWeights {
  convolution_backward_weights prim;
  Slot x, dy, dw;
  std::string impl;
};

struct MatMul {
  matmul prim;
  memory a, b, c, bias;
  bool has_bias;
  std::string impl;
};

struct Pool {
  pooling_forward prim;
  memory x, y;
  std::string impl;
};

std::map<std::string, std::unique_ptr<ConvFwd>> conv_fwd_cache;
std::map<std::string, std::unique_ptr<ConvBwdData>> conv_bwd_data_cache;
std::map<std::string, std::unique_ptr<ConvBwdWeights>> conv_bwd_weights_cache;
std::map<std::string, std::unique_ptr<MatMul>> matmul_cache;
std::map<std::string, std::unique_ptr<Pool>> pool_cache;

// The last implementation each kind of primitive dispatched to (for `fer backends`).
std::map<std::string, std::string> last_impl;

// conv2d(x, w, bias|null, y, geom[17], act, alpha)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  ConvGeom g(ints(info[4]));
  bool has_bias = !info[2].IsNull() && !info[2].IsUndefined();
  int act = info[5].As<Napi::Number>().Int32Value();
  float alpha = info[6].As<Napi::Number>().FloatValue();
  auto geom = ints(info[4]);
  geom.push_back(has_bias);
  geom.push_back(act);
  std::string key = key_of("conv", geom) + "," + std::to_string(alpha);
  auto& e = conv_fwd_cache[key];
  if (!e) {
    e = std::make_unique<ConvFwd>();
    auto pd = conv_fwd_pd(g, has_bias, act_attr(act, alpha));
    e->src.init(memory::desc(g.src(), dt::f32, tag::nhwc), pd.src_desc(), true, false);
    e->wei.init(memory::desc(g.wei(), dt::f32, tag::hwio), pd.weights_desc(), true, false);
    e->dst.init(memory::desc(g.dst(), dt::f32, tag::nhwc), pd.dst_desc(), false, true);
    e->has_bias = has_bias;
    if (has_bias) e->bias = memory(memory::desc({g.f}, dt::f32, tag::a), eng(), DNNL_MEMORY_NONE);
    e->prim = convolution_forward(pd);
    e->impl = pd.impl_info_str();
  }
  auto& s = e->src.bind(f32(info[0]));
  auto& w = e->wei.bind(f32(info[1]));
  auto& d = e->dst.bind(f32(info[3]));
  e->src.load();
  e->wei.load();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, d}};
  if (e->has_bias) {
    e->bias.set_data_handle(f32(info[2]));
    args[DNNL_ARG_BIAS] = e->bias;
  }
  e->prim.execute(strm(), args);
  e->dst.store();
  strm().wait();
  last_impl["convolution"] = e->impl;
  return info.Env().Undefined();
}

// conv2dBackpropInput(dy, w, dx, geom[17])
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  ConvGeom g(ints(info[3]));
  std::string key = key_of("convbd", ints(info[3]));
  auto& e = conv_bwd_data_cache[key];
  if (!e) {
    e = std::make_unique<ConvBwdData>();
    auto hint = conv_fwd_pd(g, false, primitive_attr());
    auto d = convolution_backward_data::desc(algorithm::convolution_direct, any_md(g.src()),
                                             any_md(g.wei()), any_md(g.dst()), g.strides(),
                                             g.dil(), g.padl(), g.padr());
    auto pd = convolution_backward_data::primitive_desc(d, eng(), hint);
    e->dy.init(memory::desc(g.dst(), dt::f32, tag::nhwc), pd.diff_dst_desc(), true, false);
    e->wei.init(memory::desc(g.wei(), dt::f32, tag::hwio), pd.weights_desc(), true, false);
    e->dx.init(memory::desc(g.src(), dt::f32, tag::nhwc), pd.diff_src_desc(), false, true);
    e->prim = convolution_backward_data(pd);
    e->impl = pd.impl_info_str();
  }
  auto& dy = e->dy.bind(f32(info[0]));
  auto& w = e->wei.bind(f32(info[1]));
  auto& dx = e->dx.bind(f32(info[2]));
  e->dy.load();
  e->wei.load();
  e->prim.execute(strm(), {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
  e->dx.store();
  strm().wait();
  last_impl["convolution backward data"] = e->impl;
  return info.Env().Undefined();
}

// conv2dBackpropFilter(x, dy, dw, geom[17])
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) {
  ConvGeom g(ints(info[3]));
  std::string key = key_of("convbw", ints(info[3]));
  auto& e = conv_bwd_weights_cache[key];
  if (!e) {
    e = std::make_unique<ConvBwdWeights>();
    auto hint = conv_fwd_pd(g, false, primitive_attr());
    auto d = convolution_backward_weights::desc(algorithm::convolution_direct, any_md(g.src()),
                                                any_md(g.wei()), any_md(g.dst()), g.strides(),
                                                g.dil(), g.padl(), g.padr());
    auto pd = convolution_backward_weights::primitive_desc(d, eng(), hint);
    e->x.init(memory::desc(g.src(), dt::f32, tag::nhwc), pd.src_desc(), true, false);
    e->dy.init(memory::desc(g.dst(), dt::f32, tag::nhwc), pd.diff_dst_desc(), true, false);
    e->dw.init(memory::desc(g.wei(), dt::f32, tag::hwio), pd.diff_weights_desc(), false, true);
    e->prim = convolution_backward_weights(pd);
    e->impl = pd.impl_info_str();
  }
  auto& x = e->x.bind(f32(info[0]));
  auto& dy = e->dy.bind(f32(info[1]));
  auto& dw = e->dw.bind(f32(info[2]));
  e->x.load();
  e->dy.load();
  e->prim.execute(strm(), {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
  e->dw.store();
  strm().wait();
  last_impl["convolution backward weights"] = e->impl;
  return info.Env().Undefined();
}

// matmul(a, b, bias|null, c, [batchA, batchB, M, K, N, transposeA, transposeB], act, alpha):
// c[batch, M, N] = a[batchA, M, K] · b[batchB, K, N] (+ bias[N]); a batch of 1 broadcasts.
Napi::Value MatMulFn(const Napi::CallbackInfo& info) {
  auto g = ints(info[4]);
  int64_t ba = g[0], bb = g[1], m = g[2], k = g[3], n = g[4];
  bool ta = g[5] != 0, tb = g[6] != 0;
  bool has_bias = !info[2].IsNull() && !info[2].IsUndefined();
  int act = info[5].As<Napi::Number>().Int32Value();
  float alpha = info[6].As<Napi::Number>().FloatValue();
  g.push_back(has_bias);
  g.push_back(act);
  std::string key = key_of("matmul", g) + "," + std::to_string(alpha);
  auto& e = matmul_cache[key];
  if (!e) {
    e = std::make_unique<MatMul>();
    int64_t bc = ba > bb ? ba : bb;
    // Transposed operands are described by their strides: no copy.
    memory::desc amd({ba, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
    memory::desc bmd({bb, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
    memory::desc cmd({bc, m, n}, dt::f32, tag::abc);
    memory::desc biasmd = has_bias ? memory::desc({1, 1, n}, dt::f32, tag::abc) : memory::desc();
    auto d = matmul::desc(amd, bmd, biasmd, cmd);
    auto pd = matmul::primitive_desc(d, act_attr(act, alpha), eng());
    e->a = memory(amd, eng(), DNNL_MEMORY_NONE);
    e->b = memory(bmd, eng(), DNNL_MEMORY_NONE);
    e->c = memory(cmd, eng(), DNNL_MEMORY_NONE);
    e->has_bias = has_bias;
    if (has_bias) e->bias = memory(biasmd, eng(), DNNL_MEMORY_NONE);
    e->prim = matmul(pd);
    e->impl = pd.impl_info_str();
  }
  e->a.set_data_handle(f32(info[0]));
  e->b.set_data_handle(f32(info[1]));
  e->c.set_data_handle(f32(info[3]));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
  if (e->has_bias) {
    e->bias.set_data_handle(f32(info[2]));
    args[DNNL_ARG_BIAS] = e->bias;
  }
  e->prim.execute(strm(), args);
  strm().wait();
  last_impl["matmul"] = e->impl;
  return info.Env().Undefined();
}

// maxPool(x, y, [N,H,W,C, OH,OW, kh,kw, sh,sw, pt,pl,pb,pr]) on plain NHWC.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  auto g = ints(info[2]);
  int64_t n = g[0], h = g[1], w = g[2], c = g[3], oh = g[4], ow = g[5];
  std::string key = key_of("maxpool", g);
  auto& e = pool_cache[key];
  if (!e) {
    e = std::make_unique<Pool>();
    memory::desc xmd({n, c, h, w}, dt::f32, tag::nhwc), ymd({n, c, oh, ow}, dt::f32, tag::nhwc);
    auto d = pooling_forward::desc(prop_kind::forward_inference, algorithm::pooling_max, xmd, ymd,
                                   {g[8], g[9]}, {g[6], g[7]}, {g[10], g[11]}, {g[12], g[13]});
    auto pd = pooling_forward::primitive_desc(d, eng());
    e->x = memory(xmd, eng(), DNNL_MEMORY_NONE);
    e->y = memory(ymd, eng(), DNNL_MEMORY_NONE);
    e->prim = pooling_forward(pd);
    e->impl = pd.impl_info_str();
  }
  e->x.set_data_handle(f32(info[0]));
  e->y.set_data_handle(f32(info[1]));
  e->prim.execute(strm(), {{DNNL_ARG_SRC, e->x}, {DNNL_ARG_DST, e->y}});
  strm().wait();
  last_impl["pooling"] = e->impl;
  return info.Env().Undefined();
}

// maxPoolGrad(x, dy, dx, [N,H,W,C, OH,OW, kh,kw, sh,sw, pt,pl]): each window's gradient goes to
// its first maximum in row-major order (the cpu backend's rule, which matters after ReLU,
// where windows of equal zeros are common). Windows are split over images, so every dx
// element is summed in the same order for any thread count.
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  const float* dy = f32(info[1]);
  float* dx = f32(info[2]);
  auto g = ints(info[3]);
  const int64_t nb = g[0], h = g[1], w = g[2], c = g[3], oh = g[4], ow = g[5];
  const int64_t fh = g[6], fw = g[7], sh = g[8], sw = g[9], top = g[10], left = g[11];
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nb; b++) {
    std::vector<float> best(c);
    std::vector<int64_t> where(c);
    float* out = dx + b * h * w * c;
    for (int64_t i = 0; i < h * w * c; i++) out[i] = 0.f;
    for (int64_t oy = 0; oy < oh; oy++)
      for (int64_t ox = 0; ox < ow; ox++) {
        for (int64_t k = 0; k < c; k++) {
          best[k] = -INFINITY;
          where[k] = -1;
        }
        const int64_t y0 = oy * sh - top, x0 = ox * sw - left;
        for (int64_t yy = y0 < 0 ? 0 : y0; yy < (y0 + fh < h ? y0 + fh : h); yy++)
          for (int64_t xx = x0 < 0 ? 0 : x0; xx < (x0 + fw < w ? x0 + fw : w); xx++) {
            const int64_t p = ((b * h + yy) * w + xx) * c;
            for (int64_t k = 0; k < c; k++)
              if (x[p + k] > best[k]) {
                best[k] = x[p + k];
                where[k] = p + k;
              }
          }
        const float* gq = dy + ((b * oh + oy) * ow + ox) * c;
        for (int64_t k = 0; k < c; k++)
          if (where[k] >= 0) dx[where[k]] += gq[k];
      }
  }
  return info.Env().Undefined();
}


// ---- Memory-bound kernels: element-wise ops, channel reductions, batch norm. ----
// Plain loops, split over OpenMP threads by output element (or, for reductions, by fixed
// static chunks combined in thread order), so results depend only on the thread count.

constexpr int64_t PAR_MIN = 1 << 15;  // below this, one thread is faster than waking others

enum BinOp { ADD = 0, SUB = 1, MUL = 2, DIV = 3, SQDIFF = 4, MAXIMUM = 5, MINIMUM = 6 };

template <int OP>
inline float bin(float a, float b) {
  if (OP == ADD) return a + b;
  if (OP == SUB) return a - b;
  if (OP == MUL) return a * b;
  if (OP == DIV) return a / b;
  if (OP == SQDIFF) return (a - b) * (a - b);
  if (OP == MAXIMUM) return a > b || a != a ? a : b;
  return a < b || a != a ? a : b;
}

// out[i] = a[i op_a] OP b[i op_b], where each operand is full (period 0), a vector repeated
// along the last axis (period = its length) or a scalar (period 1).
template <int OP>
void binary_loop(const float* a, int64_t pa, const float* b, int64_t pb, float* out, int64_t n) {
  if (pa == 0 && pb == 0) {
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) out[i] = bin<OP>(a[i], b[i]);
    return;
  }
  int64_t period = pa ? pa : pb;
  int64_t rows = n / period;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * period;
    const float* ar = pa ? a : a + o;
    const float* br = pb ? b : b + o;
    float* orow = out + o;
    if (pa == 1) {
      const float s = a[0];
      for (int64_t c = 0; c < period; c++) orow[c] = bin<OP>(s, br[c]);
    } else if (pb == 1) {
      const float s = b[0];
      for (int64_t c = 0; c < period; c++) orow[c] = bin<OP>(ar[c], s);
    } else {
      for (int64_t c = 0; c < period; c++) orow[c] = bin<OP>(ar[c], br[c]);
    }
  }
}

// binary(op, a, periodA, b, periodB, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  const float* a = f32(info[1]);
  int64_t pa = info[2].As<Napi::Number>().Int64Value();
  const float* b = f32(info[3]);
  int64_t pb = info[4].As<Napi::Number>().Int64Value();
  auto o = info[5].As<Napi::Float32Array>();
  float* out = o.Data();
  int64_t n = o.ElementLength();
  // A scalar against a scalar, or a period that does not divide the output: caller's bug.
  if ((pa && n % pa) || (pb && n % pb) || (pa && pb)) {
    Napi::Error::New(info.Env(), "onednn binary: bad broadcast").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  switch (op) {
    case ADD: binary_loop<ADD>(a, pa, b, pb, out, n); break;
    case SUB: binary_loop<SUB>(a, pa, b, pb, out, n); break;
    case MUL: binary_loop<MUL>(a, pa, b, pb, out, n); break;
    case DIV: binary_loop<DIV>(a, pa, b, pb, out, n); break;
    case SQDIFF: binary_loop<SQDIFF>(a, pa, b, pb, out, n); break;
    case MAXIMUM: binary_loop<MAXIMUM>(a, pa, b, pb, out, n); break;
    case MINIMUM: binary_loop<MINIMUM>(a, pa, b, pb, out, n); break;
  }
  return info.Env().Undefined();
}

enum UnOp { SQUARE = 0, RELU_U = 1, STEP = 2, NEG = 3, SQRT = 4, RSQRT = 5, RELU6_U = 6 };

template <int OP>
inline float un(float v, float alpha) {
  if (OP == SQUARE) return v * v;
  if (OP == RELU_U) return v < 0.f ? 0.f : v;
  if (OP == STEP) return v != v ? v : (v > 0.f ? 1.f : alpha);
  if (OP == NEG) return -v;
  if (OP == SQRT) return std::sqrt(v);
  if (OP == RSQRT) return 1.f / std::sqrt(v);
  return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
}

template <int OP>
void unary_loop(const float* x, float* out, int64_t n, float alpha) {
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
  for (int64_t i = 0; i < n; i++) out[i] = un<OP>(x[i], alpha);
}

// unary(op, x, out, alpha): Step's alpha is its value for x <= 0 (NaN stays NaN, as in tfjs).
Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  const float* x = f32(info[1]);
  auto o = info[2].As<Napi::Float32Array>();
  float* out = o.Data();
  const float alpha = info[3].As<Napi::Number>().FloatValue();
  const int64_t n = o.ElementLength();
  switch (op) {
    case SQUARE: unary_loop<SQUARE>(x, out, n, alpha); break;
    case RELU_U: unary_loop<RELU_U>(x, out, n, alpha); break;
    case STEP: unary_loop<STEP>(x, out, n, alpha); break;
    case NEG: unary_loop<NEG>(x, out, n, alpha); break;
    case SQRT: unary_loop<SQRT>(x, out, n, alpha); break;
    case RSQRT: unary_loop<RSQRT>(x, out, n, alpha); break;
    default: unary_loop<RELU6_U>(x, out, n, alpha); break;
  }
  return info.Env().Undefined();
}

// reduce(x, out, outer, r, inner, mean): out[o, i] = Σ_k x[o, k, i] (÷ r for a mean), summed
// in double. With fewer outer rows than threads, the r axis is cut into one fixed chunk per
// thread and the partial sums are added in thread order.
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t outer = info[2].As<Napi::Number>().Int64Value();
  const int64_t r = info[3].As<Napi::Number>().Int64Value();
  const int64_t inner = info[4].As<Napi::Number>().Int64Value();
  const bool mean = info[5].As<Napi::Boolean>().Value();
  const double scale = mean ? 1.0 / double(r) : 1.0;
  if (outer >= 64 || r * inner <= PAR_MIN) {
    // Many rows (or little work): one row per task, each summed in order.
#pragma omp parallel for schedule(static) if (outer * r * inner > PAR_MIN)
    for (int64_t o = 0; o < outer; o++) {
      std::vector<double> acc(inner, 0.0);
      const float* xo = x + o * r * inner;
      for (int64_t k = 0; k < r; k++)
        for (int64_t i = 0; i < inner; i++) acc[i] += xo[k * inner + i];
      for (int64_t i = 0; i < inner; i++) out[o * inner + i] = float(acc[i] * scale);
    }
    return info.Env().Undefined();
  }
  for (int64_t o = 0; o < outer; o++) {
    const float* xo = x + o * r * inner;
    int64_t chunks = 1;
#ifdef _OPENMP
    if (r * inner > PAR_MIN) chunks = omp_get_max_threads();
#endif
    if (chunks > r) chunks = r;
    std::vector<double> part(size_t(chunks) * inner, 0.0);
    // The chunks (not the threads) fix the summation order.
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (int64_t t = 0; t < chunks; t++) {
      const int64_t k0 = r * t / chunks, k1 = r * (t + 1) / chunks;
      double* acc = part.data() + size_t(t) * inner;
      for (int64_t k = k0; k < k1; k++) {
        const float* row = xo + k * inner;
        for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
      }
    }
    for (int64_t i = 0; i < inner; i++) {
      double s = 0;
      for (int64_t t = 0; t < chunks; t++) s += part[size_t(t) * inner + i];
      out[o * inner + i] = float(s * scale);
    }
  }
  return info.Env().Undefined();
}

// batchNorm(x, mean, variance, offset|null, scale|null, out, eps): per-channel (last axis)
// (x - mean) * scale / sqrt(variance + eps) + offset, as tfjs's FusedBatchNorm.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const float* x = f32(info[0]);
  auto mv = info[1].As<Napi::Float32Array>();
  const float* mean = mv.Data();
  const float* var = f32(info[2]);
  const bool has_off = !info[3].IsNull(), has_scale = !info[4].IsNull();
  const float* off = has_off ? f32(info[3]) : nullptr;
  const float* sc = has_scale ? f32(info[4]) : nullptr;
  auto o = info[5].As<Napi::Float32Array>();
  float* out = o.Data();
  const float eps = info[6].As<Napi::Number>().FloatValue();
  const int64_t c = mv.ElementLength(), n = o.ElementLength();
  std::vector<float> mul(c), add(c);
  for (int64_t i = 0; i < c; i++) {
    const float inv = 1.f / std::sqrt(var[i] + eps);
    mul[i] = (has_scale ? sc[i] : 1.f) * inv;
    add[i] = has_off ? off[i] : 0.f;
  }
  const int64_t rows = n / c;
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
  for (int64_t rw = 0; rw < rows; rw++) {
    const float* xr = x + rw * c;
    float* orow = out + rw * c;
    for (int64_t i = 0; i < c; i++) orow[i] = (xr[i] - mean[i]) * mul[i] + add[i];
  }
  return info.Env().Undefined();
}

// bnGradSum(dy, x, mean, out): out[c] = Σ_rows dy[row, c] · (x[row, c] - mean[c]), the one
// sum batch norm's gradient needs besides Σ dy; in double, in fixed chunks (as in Reduce).
Napi::Value BnGradSum(const Napi::CallbackInfo& info) {
  auto dv = info[0].As<Napi::Float32Array>();
  const float* dy = dv.Data();
  const float* x = f32(info[1]);
  auto mv = info[2].As<Napi::Float32Array>();
  const float* mean = mv.Data();
  float* out = f32(info[3]);
  const int64_t c = mv.ElementLength(), rows = dv.ElementLength() / c;
  int64_t chunks = 1;
#ifdef _OPENMP
  if (rows * c > PAR_MIN) chunks = omp_get_max_threads();
#endif
  if (chunks > rows) chunks = rows;
  if (chunks < 1) chunks = 1;
  std::vector<double> part(size_t(chunks) * c, 0.0);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t t = 0; t < chunks; t++) {
    const int64_t k0 = rows * t / chunks, k1 = rows * (t + 1) / chunks;
    double* acc = part.data() + size_t(t) * c;
    for (int64_t k = k0; k < k1; k++) {
      const float* d = dy + k * c;
      const float* xr = x + k * c;
      for (int64_t i = 0; i < c; i++) acc[i] += double(d[i]) * double(xr[i] - mean[i]);
    }
  }
  for (int64_t i = 0; i < c; i++) {
    double sum = 0;
    for (int64_t t = 0; t < chunks; t++) sum += part[size_t(t) * c + i];
    out[i] = float(sum);
  }
  return info.Env().Undefined();
}

// OpenMP's thread count, found at run time so that the addon needs no OpenMP headers or
// link flags (libdnnl brings its own runtime: libgomp on Debian, libomp on Homebrew).
using SetThreads = void (*)(int);
using GetThreads = int (*)();
void* omp_symbol(const char* name) {
  void* s = dlsym(RTLD_DEFAULT, name);
  if (s) return s;
  for (const char* lib : {"libgomp.so.1", "libomp.so", "libomp.so.5", "libiomp5.so", "libomp.dylib"}) {
    void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (h && (s = dlsym(h, name))) return s;
  }
  return nullptr;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  auto f = reinterpret_cast<SetThreads>(omp_symbol("omp_set_num_threads"));
  if (!f) return Napi::Boolean::New(info.Env(), false);
  f(info[0].As<Napi::Number>().Int32Value());
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  auto f = reinterpret_cast<GetThreads>(omp_symbol("omp_get_max_threads"));
  return Napi::Number::New(info.Env(), f ? f() : 1);
}

const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "all";
  }
}

const char* runtime_name(unsigned r) {
  switch (r) {
    case DNNL_RUNTIME_SEQ: return "sequential";
    case DNNL_RUNTIME_OMP: return "OpenMP";
    case DNNL_RUNTIME_TBB: return "TBB";
    case DNNL_RUNTIME_THREADPOOL: return "threadpool";
    default: return "other";
  }
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto v = dnnl_version();
  auto o = Napi::Object::New(env);
  o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                       std::to_string(v->patch));
  o.Set("hash", v->hash ? v->hash : "");
  o.Set("cpuRuntime", runtime_name(v->cpu_runtime));
  o.Set("isa", isa_name(dnnl_get_effective_cpu_isa()));
  auto impl = Napi::Object::New(env);
  for (auto& kv : last_impl) impl.Set(kv.first, kv.second);
  o.Set("impl", impl);
  return o;
}

// The implementation oneDNN picks for a convolution like the paper CNN's second layer
// (24x24x64 -> 128, 5x5), without running it.
Napi::Value ProbeConvImpl(const Napi::CallbackInfo& info) {
  ConvGeom g({1, 24, 24, 64, 5, 5, 128, 24, 24, 1, 1, 1, 1, 2, 2, 2, 2});
  return Napi::String::New(info.Env(), conv_fwd_pd(g, true, primitive_attr()).impl_info_str());
}

// Wraps a kernel so that a oneDNN error becomes a JS exception instead of terminating Node.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const dnnl::error& e) {
    Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what()).ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), std::string("onednn addon: ") + e.what())
        .ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, guarded<Conv2d>));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, guarded<Conv2dBackpropInput>));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, guarded<Conv2dBackpropFilter>));
  exports.Set("matmul", Napi::Function::New(env, guarded<MatMulFn>));
  exports.Set("maxPool", Napi::Function::New(env, guarded<MaxPool>));
  exports.Set("maxPoolGrad", Napi::Function::New(env, guarded<MaxPoolGrad>));
  exports.Set("binary", Napi::Function::New(env, guarded<Binary>));
  exports.Set("unary", Napi::Function::New(env, guarded<Unary>));
  exports.Set("reduce", Napi::Function::New(env, guarded<Reduce>));
  exports.Set("bnGradSum", Napi::Function::New(env, guarded<BnGradSum>));
  exports.Set("batchNorm", Napi::Function::New(env, guarded<BatchNorm>));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("probeConvImpl", Napi::Function::New(env, guarded<ProbeConvImpl>));
  exports.Set("info", Napi::Function::New(env, guarded<Info>));
  return exports;
}

}  // namespace

NODE_API_MODULE(fer_onednn, Init)
