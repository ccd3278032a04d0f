import type { Variant } from '../app';

export const metricsVariants: Variant[] = [];
