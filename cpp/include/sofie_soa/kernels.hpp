// sofie_soa/kernels.hpp — the kernel library generated sessions are wired from.
#pragma once

#include "sofie_soa/alpaka/compat.hpp"
#include "sofie_soa/kernels/accessors.hpp"
#include "sofie_soa/kernels/binary.hpp"
#include "sofie_soa/kernels/dense.hpp"
#include "sofie_soa/kernels/index_map.hpp"
#include "sofie_soa/kernels/softmax.hpp"
#include "sofie_soa/kernels/unary.hpp"
