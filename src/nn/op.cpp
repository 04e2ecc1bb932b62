#include "nn/op.h"

namespace nl {

void Op::zero_param_grads() {
  for (Param& p : params()) {
    if (!p.grad) continue;
    if (p.grad->shape() != p.value->shape()) p.grad->resize(p.value->shape());
    else p.grad->zero();
  }
}

}  // namespace nl
