using System.Text.Json.Nodes;
using ModeRefresh.TestSupport;

namespace ModeRefresh.Lineage.Tests.Support;

/// <summary>A project with what real projects have beyond the sample: seeds, snapshots, versions, packages, disabled parts.</summary>
internal static class EdgeProjects
{
    public static DbtProject Everything()
    {
        var p = new DbtProject("shop");
        var orders = p.Source("raw", "orders");
        var countries = p.Seed("countries");
        var snap = p.Snapshot("orders_snapshot", [orders]);
        var stg = p.Model("stg_orders", "view", [snap, countries]);
        var v1 = p.Model("dim_customers", "table", [stg], version: 1);
        var v2 = p.Model("dim_customers", "table", [stg], version: 2);
        var pkg = p.Model("fx_rates", "table", [countries], package: "finance_utils");
        var pkgView = p.Model("fx_rates_latest", "view", [pkg], package: "finance_utils");
        p.Model("old_mart", "table", [stg], enabled: false);
        p.Test("not_null_stg_orders_id", stg);
        var meta = new JsonObject { ["mode"] = new JsonObject { ["workspace"] = "shop", ["report"] = "aaaaaaaaaaaa", ["min_interval"] = "01:00:00" } };
        p.Exposure("customers_v2", "dashboard", [v2], "https://app.mode.com/shop/reports/bbbbbbbbbbbb");
        p.Exposure("customers_v1", "dashboard", [v1], "https://app.mode.com/shop/reports/cccccccccccc");
        p.Exposure("fx", "dashboard", [pkgView], meta: meta, configMeta: (JsonObject)meta.DeepClone(), package: "finance_utils");
        p.Exposure("raw_orders", "analysis", [orders], "https://app.mode.com/shop/reports/dddddddddddd");
        p.Exposure("retired", "dashboard", [stg], "https://app.mode.com/shop/reports/eeeeeeeeeeee", enabled: false);
        return p;
    }
}
