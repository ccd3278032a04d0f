import type { Variant } from '../variants';

export const loggerVariants: Variant[] = [];
