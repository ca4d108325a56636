/**
 * Daily usage curves of a residential estate, as multipliers of the daily mean
 * (each profile averages 1 over a day), by local hour of day.
 */

const MS_PER_HOUR = 3_600_000;

/** Local hour of day in [0, 24) for epoch ms `t` at a UTC offset in minutes (China: +480). */
export function localHour(t: number, utcOffsetMin: number): number {
  const h = ((t + utcOffsetMin * 60_000) / MS_PER_HOUR) % 24;
  return h < 0 ? h + 24 : h;
}

function bump(hour: number, centre: number, width: number): number {
  // Distance on the 24 h circle so a bump near midnight wraps.
  const d = Math.min(Math.abs(hour - centre), 24 - Math.abs(hour - centre));
  return Math.exp(-(d * d) / (2 * width * width));
}

/**
 * Scales a shape to a daily mean of 1 and tabulates it per minute (linear in
 * between): models evaluate profiles every simulated second.
 */
function normalised(shape: (hour: number) => number): (hour: number) => number {
  const samples = 24 * 60;
  const table = new Float64Array(samples + 1);
  let sum = 0;
  for (let i = 0; i < samples; i++) sum += table[i] = shape((i * 24) / samples);
  table[samples] = table[0];
  const mean = sum / samples;
  for (let i = 0; i <= samples; i++) table[i] /= mean;
  return (hour) => {
    const x = (((hour % 24) + 24) % 24) * 60;
    const i = Math.floor(x);
    return table[i] + (table[i + 1] - table[i]) * (x - i);
  };
}

/** Domestic water: a morning peak (07:30), a smaller lunch bump and the evening peak (20:00); night near zero. */
export const residentialWaterProfile = normalised((h) => 0.12 + 1.0 * bump(h, 7.5, 1.3) + 0.35 * bump(h, 12.5, 1.2) + 0.9 * bump(h, 20, 2));

/** Household electricity: base load (fridges, standby), morning rise, evening peak 19:00–22:00. */
export const residentialPowerProfile = normalised((h) => 0.35 + 0.45 * bump(h, 7.5, 1.5) + 0.3 * bump(h, 12.5, 1.5) + 1.1 * bump(h, 20.5, 2.2));

/** Lift traffic: leaving for work, lunch, coming home; almost idle at night. */
export const liftTrafficProfile = normalised((h) => 0.04 + 1.0 * bump(h, 8, 1.1) + 0.4 * bump(h, 12.3, 1) + 0.9 * bump(h, 18.5, 1.6));

/** Outdoor temperature shape in [-1, 1]: coldest near 05:00, warmest near 15:00. */
export function outdoorTemperatureShape(hour: number): number {
  return Math.cos((2 * Math.PI * (hour - 15)) / 24);
}
