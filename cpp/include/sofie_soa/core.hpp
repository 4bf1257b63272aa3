// sofie_soa/core.hpp — the SoA core: dtypes, members, compile-time and runtime layouts, buffer views.
#pragma once

#include "sofie_soa/core/dtype.hpp"
#include "sofie_soa/core/fixed_layout.hpp"
#include "sofie_soa/core/layout.hpp"
#include "sofie_soa/core/member.hpp"
#include "sofie_soa/core/soa_view.hpp"
