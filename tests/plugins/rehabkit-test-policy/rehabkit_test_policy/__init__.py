"""A clinic's clinical policy: tighter repetitions, one more urgent sign, cauda equina and clot signs for the low back.

The settings the core rules RK201, RK301 and RK306 quote in their explanations, each changed from rehabkit's
defaults, so that `rehabkit rules CODE` can be seen explaining the policy in force.
"""

from rehabkit import hookimpl

REHABKIT_HOOK_API = 1


@hookimpl
def rehabkit_register_clinical_policy(register):
    register(
        {
            "dose_bounds": {"reps": {"max": 30, "zero_allowed": False, "noun": "repetitions"}},
            "red_flags": {
                "urgent_signs": ["cauda-equina", "blood-clot", "spinal-cord-compression"],
                "lumbar_required_signs": ["cauda-equina", "blood-clot"],
            },
        }
    )
