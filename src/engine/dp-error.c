/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dp-error.h"

G_DEFINE_QUARK (dp-error-quark, dp_error)
