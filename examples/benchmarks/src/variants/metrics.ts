import type { Variant } from '../variants';

export const metricsVariants: Variant[] = [];
