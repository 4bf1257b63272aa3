// sofie_soa/kernels.hpp — the kernel library generated sessions are wired from.
#pragma once

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/accessors.hpp"
#include "sofie_soa/kernels/contraction.hpp"
#include "sofie_soa/kernels/dense.hpp"
#include "sofie_soa/kernels/fill.hpp"
#include "sofie_soa/kernels/functors/binary.hpp"
#include "sofie_soa/kernels/functors/unary.hpp"
#include "sofie_soa/kernels/gather.hpp"
#include "sofie_soa/kernels/index_error.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/map.hpp"
#include "sofie_soa/kernels/pad.hpp"
#include "sofie_soa/kernels/scatter.hpp"
#include "sofie_soa/kernels/softmax.hpp"
#include "sofie_soa/kernels/types.hpp"
#include "sofie_soa/kernels/unary.hpp"
