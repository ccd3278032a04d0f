import type { Variant } from '../app';

export const loggerVariants: Variant[] = [];
