//! Every policy's rule list, as the catalogue (`docs/rules.md`, `docs/rules.json`) and the
//! tests read it: the
//! policy's own rules, then the admission flow's, which every policy can report.

use fluxgate_admission::flow::FLOW_RULES;
use fluxgate_rules::Rule;
use fluxgate_rules::catalogue::PolicyRules;

fn entry(policy: &'static str, rules: &[&'static Rule]) -> PolicyRules {
    PolicyRules {
        policy,
        rules: rules.iter().copied().chain(FLOW_RULES).collect(),
    }
}

/// The policies in the order the README lists them.
pub fn policies() -> Vec<PolicyRules> {
    vec![
        entry(
            git_commit_verification::POLICY.name,
            git_commit_verification::RULES,
        ),
        entry(source_origin::POLICY.name, source_origin::RULES),
        entry(
            artifact_signature_verification::POLICY.name,
            artifact_signature_verification::RULES,
        ),
        entry(
            image_automation_guard::POLICY.name,
            image_automation_guard::RULES,
        ),
        entry(
            kustomization_boundaries::POLICY.name,
            kustomization_boundaries::RULES,
        ),
        entry(
            helmrelease_boundaries::POLICY.name,
            helmrelease_boundaries::RULES,
        ),
        entry(
            flux_operator_boundaries::POLICY.name,
            flux_operator_boundaries::RULES,
        ),
        entry(
            notification_boundaries::POLICY.name,
            notification_boundaries::RULES,
        ),
        entry(
            tenant_cluster_scope::POLICY.name,
            tenant_cluster_scope::RULES,
        ),
        entry(
            flux_rbac_least_privilege::POLICY.name,
            flux_rbac_least_privilege::RULES,
        ),
        entry(
            flux_secrets_isolation::POLICY.name,
            flux_secrets_isolation::RULES,
        ),
    ]
}

/// `docs/rules.md` as the code says it should be.
pub fn markdown() -> String {
    fluxgate_rules::catalogue::markdown(&policies())
}

/// `docs/rules.json` (the catalogue as data, which `fluxgate scan` embeds) as the code says
/// it should be.
pub fn json() -> String {
    fluxgate_rules::catalogue::json(&policies())
}
