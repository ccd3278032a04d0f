import type { Variant } from '../variants';

export const errorVariants: Variant[] = [];
