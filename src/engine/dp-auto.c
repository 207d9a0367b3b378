/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dp-auto.h"

void
dp_auto_init (DpAuto *self)
{
  self->phase = DP_AUTO_RAMP;
  self->best_n = 0;
  self->best_rate = 0;
}

void
dp_auto_restart (DpAuto *self)
{
  if (self->phase != DP_AUTO_STEADY || self->best_n != G_MAXUINT)
    dp_auto_init (self);
}

void
dp_auto_refused (DpAuto *self)
{
  self->phase = DP_AUTO_STEADY;
  /* Marks the end as final: dp_auto_restart() leaves it alone. */
  self->best_n = G_MAXUINT;
}

static guint
start_trim (DpAuto *self,
            guint   n)
{
  self->phase = DP_AUTO_TRIM;
  self->best_n = 0;
  self->best_rate = 0;
  return n;
}

guint
dp_auto_ramp (DpAuto *self,
              guint   n,
              gint64  left,
              double  rate,
              guint   max)
{
  n = MAX (n, 1);
  max = MAX (max, 1);
  if (self->phase != DP_AUTO_RAMP)
    return MIN (n, max);

  /* Ends soon at this pace: new connections would only cost. */
  if (rate > 0 && (double) left < rate * DP_AUTO_HORIZON_S)
    {
      self->phase = DP_AUTO_STEADY;
      return MIN (n, max);
    }
  if (n >= max)
    return start_trim (self, max);
  return MIN (n * 2, max);
}

guint
dp_auto_trim (DpAuto *self,
              guint   n,
              double  rate)
{
  n = MAX (n, 1);
  if (self->phase != DP_AUTO_TRIM)
    return n;

  if (self->best_n == 0 || rate >= self->best_rate * (1 - DP_AUTO_TRIM_LOSS))
    {
      /* As good with this many (or the first window): try half. */
      self->best_n = n;
      self->best_rate = MAX (self->best_rate, rate);
      if (n == 1)
        {
          self->phase = DP_AUTO_STEADY;
          return 1;
        }
      return n / 2;
    }

  /* Half as many lost speed: the count before was the one. */
  self->phase = DP_AUTO_STEADY;
  return self->best_n;
}
