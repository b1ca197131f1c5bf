using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModeRefresh.Lineage.DbtCloud;
using ModeRefresh.Lineage.Tests.Support;

namespace ModeRefresh.Lineage.Tests;

public sealed class OptionsTests
{
    [Theory]
    [InlineData("https://cloud.getdbt.com")]
    [InlineData("https://emea.dbt.com")]
    [InlineData("https://au.dbt.com/")]
    [InlineData("https://ab123.us1.dbt.com")]
    [InlineData("https://proxy.internal.example/dbt")]
    [InlineData("http://127.0.0.1:5123")]
    [InlineData("http://localhost:8080")]
    public void DbtCloudOptions_AllowedBaseUrl_Validates(string baseUrl)
    {
        using var services = LineageServices.Build(baseUrl);

        Assert.Equal(baseUrl, services.GetRequiredService<IOptions<DbtCloudOptions>>().Value.BaseUrl);
    }

    [Theory]
    [InlineData("http://cloud.getdbt.com")]
    [InlineData("cloud.getdbt.com")]
    [InlineData("https://user:pass@cloud.getdbt.com")]
    [InlineData("https://cloud.getdbt.com/?x=1")]
    [InlineData("ftp://cloud.getdbt.com")]
    [InlineData("")]
    public void DbtCloudOptions_BadBaseUrl_FailsNamingTheSetting(string baseUrl)
    {
        using var services = LineageServices.Build(baseUrl);

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<DbtCloudOptions>>().Value);
        Assert.Contains("DbtCloud:BaseUrl must be an absolute https URL", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DbtCloud:TokenSecretName", " ", "DbtCloud:TokenSecretName is required")]
    [InlineData("DbtCloud:AttemptTimeout", "00:01:00", "DbtCloud:AttemptTimeout must be shorter than DbtCloud:RequestTimeout")]
    [InlineData("DbtCloud:MaxRetryAttempts", "11", "DbtCloud:MaxRetryAttempts must be between 0 and 10")]
    [InlineData("DbtCloud:MaxManifestBytes", "10", "DbtCloud:MaxManifestBytes must be at least 1024")]
    [InlineData("DbtCloud:DownloadTimeout", "00:00:00", "DbtCloud:DownloadTimeout must be between")]
    public void DbtCloudOptions_BadValue_FailsNamingTheSetting(string key, string value, string message)
    {
        using var services = LineageServices.Build("https://cloud.getdbt.com", (key, value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<DbtCloudOptions>>().Value);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        using var services = LineageServices.Build("https://cloud.getdbt.com");

        var exposures = services.GetRequiredService<IOptions<ExposureOptions>>().Value;
        Assert.Equal((false, false, TimeSpan.Zero), (exposures.Enabled, exposures.IncludeErroredRuns, exposures.MinInterval));
        var dbt = new DbtCloudOptions();
        Assert.Equal(("https://cloud.getdbt.com", "DBT_CLOUD_API_TOKEN"), (dbt.BaseUrl, dbt.TokenSecretName));
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("8.00:00:00")]
    public void ExposureOptions_MinIntervalOutOfRange_FailsNamingTheSetting(string value)
    {
        using var services = LineageServices.Build("https://cloud.getdbt.com", ("Exposures:MinInterval", value));

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ExposureOptions>>().Value);
        Assert.Contains("Exposures:MinInterval must be between", ex.Message, StringComparison.Ordinal);
    }
}
