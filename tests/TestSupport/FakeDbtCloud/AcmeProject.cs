using System.Text.Json.Nodes;

namespace ModeRefresh.TestSupport;

/// <summary>
/// The sample project of ../shared/dbt-cloud/artifacts/README.md, <c>acme_analytics</c>, rebuilt by
/// <see cref="DbtProject"/> so that tests have it in every clone: three sources, staging views, an ephemeral
/// model, tables, an incremental model, a report view, a data test and six exposures (four on Mode reports, one on
/// Tableau, one without a URL), and its four run scenarios with the same steps and results.
/// </summary>
public static class AcmeProject
{
    public const long AccountId = 43786;
    public const string Package = "acme_analytics";

    public static string Model(string name) => $"model.{Package}.{name}";

    public static DbtProject Build()
    {
        var p = new DbtProject(Package);
        var orders = p.Source("shop", "orders");
        var customers = p.Source("shop", "customers");
        var payments = p.Source("shop", "payments");
        var stgOrders = p.Model("stg_orders", "view", [orders]);
        var stgCustomers = p.Model("stg_customers", "view", [customers]);
        var stgPayments = p.Model("stg_payments", "view", [payments]);
        var orderPayments = p.Model("int_order_payments", "ephemeral", [stgOrders, stgPayments]);
        var fctOrders = p.Model("fct_orders", "table", [orderPayments]);
        var dimCustomers = p.Model("dim_customers", "table", [stgCustomers, fctOrders]);
        var revenue = p.Model("fct_revenue_daily", "incremental", [fctOrders]);
        var exec = p.Model("rpt_exec_summary", "view", [revenue, dimCustomers]);
        var marketing = p.Model("mart_marketing_attribution", "table", [stgOrders, stgCustomers]);
        p.Test("not_null_fct_orders_order_id", fctOrders);

        p.Exposure("weekly_revenue", "dashboard", [revenue], "https://app.mode.com/acme/reports/4f2a9c1b7e3d/details/queries/7a1b2c3d4e5f");
        p.Exposure("customer_health", "dashboard", [dimCustomers, fctOrders], "https://app.mode.com/editor/acme/reports/9b8c7d6e5f4a");
        var execMode = new JsonObject
        {
            ["mode"] = new JsonObject
            {
                ["workspace"] = "acme-finance",
                ["report"] = "0a1b2c3d4e5f",
                ["parameters"] = new JsonObject { ["region"] = "EU", ["segments"] = new JsonArray("smb", "enterprise") },
            },
        };
        p.Exposure("exec_summary", "dashboard", [exec], "https://app.mode.com/acme/reports/ffffffffffff", meta: execMode, configMeta: (JsonObject)execMode.DeepClone());
        p.Exposure("ops_notebook", "notebook", [stgOrders], "https://modeanalytics.com/acme/reports/1c2d3e4f5a6b/notebook");
        p.Exposure("marketing_attribution", "dashboard", [marketing], "https://tableau.acme.example/#/views/Attribution/Overview");
        p.Exposure("finance_adhoc", "analysis", [fctOrders]);
        return p;
    }

    /// <summary>The scenarios of the shared README, by folder name: full-build, staging-only, fct-orders-failed, two-steps.</summary>
    public static FakeDbtRun Scenario(string name)
    {
        var p = Build();
        string[] staging = [Model("stg_orders"), Model("stg_customers"), Model("stg_payments")];
        string[] all = [.. staging, Model("fct_orders"), Model("dim_customers"), Model("fct_revenue_daily"), Model("rpt_exec_summary"), Model("mart_marketing_attribution")];
        return name switch
        {
            "full-build" => FakeDbtRun.Of(AccountId, 70001, 10, p,
                ("Invoke dbt build", "build", [.. all.Select(id => new DbtResult(id, "success")), new DbtResult($"test.{Package}.not_null_fct_orders_order_id", "pass")]),
                ("Invoke dbt docs generate", "generate", [])),
            "staging-only" => FakeDbtRun.Of(AccountId, 70002, 10, p,
                ("Invoke dbt run --select staging", "build", [.. staging.Select(id => new DbtResult(id, "success"))])),
            "fct-orders-failed" => StepErrored(FakeDbtRun.Of(AccountId, 70003, 20, p,
                ("Invoke dbt build", "build",
                [
                    .. staging.Select(id => new DbtResult(id, "success")),
                    new DbtResult(Model("fct_orders"), "error"),
                    new DbtResult(Model("dim_customers"), "skipped"),
                    new DbtResult(Model("fct_revenue_daily"), "skipped"),
                    new DbtResult(Model("rpt_exec_summary"), "skipped"),
                    new DbtResult(Model("mart_marketing_attribution"), "success"),
                ]))),
            "two-steps" => FakeDbtRun.Of(AccountId, 70004, 10, p,
                ("Invoke dbt run --select stg_orders", "build", [new DbtResult(Model("stg_orders"), "success")]),
                ("Invoke dbt run --select fct_revenue_daily", "build", [new DbtResult(Model("fct_revenue_daily"), "success")])),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a scenario of the shared README"),
        };
    }

    public static IReadOnlyList<string> ScenarioNames { get; } = ["full-build", "staging-only", "fct-orders-failed", "two-steps"];

    /// <summary>The build step of an errored run ends in error too (dbt Cloud's step status 20).</summary>
    private static FakeDbtRun StepErrored(FakeDbtRun run) =>
        run with { Steps = [.. run.Steps.Select(s => s.Index == 4 ? s with { Status = 20 } : s)] };
}
