// Coded errors for the simulator's own misuse (bad options), not for simulated API errors.
import createError from '@fastify/error'

export const SimulatorOptionsInvalid = createError('ATL_SIM_OPTIONS_INVALID', 'Simulator options are invalid: %s', 500)
