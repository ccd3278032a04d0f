import type { Variant } from '../app';

export const errorVariants: Variant[] = [];
