using Microsoft.Extensions.Options;
using ModeRefresh.ServiceDefaults;

namespace ModeRefresh.Ingress.Tests.Unit;

/// <summary>The one start-up line both services write (services/ServiceDefaults); the process runs are in EndToEnd.Tests.</summary>
public sealed class StartupFailureTests
{
    [Fact]
    public void Describe_ValidationFailures_OneLineWithEachKeyAndItsEnvironmentForm()
    {
        var error = new OptionsValidationException("", typeof(object),
            ["Mode:AttemptTimeout must not exceed Mode:TotalTimeout", "Refresh:Reports:0:Report is required"]);

        Assert.Equal(
            "Mode:AttemptTimeout (env Mode__AttemptTimeout) must not exceed Mode:TotalTimeout (env Mode__TotalTimeout); " +
            "Refresh:Reports:0:Report (env Refresh__Reports__0__Report) is required",
            StartupFailure.Describe(error));
    }

    [Fact]
    public void Describe_SeveralOptionsTypesFail_AllOfThemOnOneLine()
    {
        var error = new AggregateException(
            new OptionsValidationException("", typeof(object), ["Ingress:MaxBodyBytes must be between 1024 and 16777216."]),
            new OptionsValidationException("", typeof(object), ["DAPR_GRPC_ENDPOINT must be an http:// or https:// address;\ngot 'x'"]));

        var line = StartupFailure.Describe(error);

        Assert.Equal("Ingress:MaxBodyBytes (env Ingress__MaxBodyBytes) must be between 1024 and 16777216.; " +
            "DAPR_GRPC_ENDPOINT must be an http:// or https:// address; got 'x'", line);
    }

    [Fact]
    public void Describe_BinderCannotConvert_KeyOutsideItsQuotesAndTheCauseAfterIt()
    {
        var error = new InvalidOperationException("Failed to convert configuration value 'abc' at 'Ingress:MaxBodyBytes' to type 'System.Int32'.",
            new FormatException("The input string 'abc' was not in a correct format."));

        Assert.Equal("Failed to convert configuration value 'abc' at 'Ingress:MaxBodyBytes' (env Ingress__MaxBodyBytes) to type " +
            "'System.Int32'. (The input string 'abc' was not in a correct format.)", StartupFailure.Describe(error));
    }

    [Theory]
    [InlineData("Mode:BaseUrl must be an absolute http(s) URL, e.g. https://app.mode.com", "Mode:BaseUrl (env Mode__BaseUrl) must be an absolute http(s) URL, e.g. https://app.mode.com")]
    [InlineData("Mode:TotalTimeout must be a positive duration (e.g. 00:00:05)", "Mode:TotalTimeout (env Mode__TotalTimeout) must be a positive duration (e.g. 00:00:05)")]
    [InlineData("could not bind to http://Localhost:5080", "could not bind to http://Localhost:5080")]
    public void Describe_UrlsAndTimes_NotMistakenForKeys(string failure, string expected) =>
        Assert.Equal(expected, StartupFailure.Describe(new OptionsValidationException("", typeof(object), [failure])));

    [Theory]
    [InlineData("MaxBodyBytes: The field IngressOptions.MaxBodyBytes must be between 1024 and 16777216.", "Ingress:MaxBodyBytes must be between 1024 and 16777216.")]
    [InlineData("WebhookKeySecretName: The IngressOptions.WebhookKeySecretName field is required.", "Ingress:WebhookKeySecretName is required.")]
    [InlineData("Something else entirely", "Something else entirely")]
    public void OptionsKeyNames_GeneratedValidatorFailure_NamesTheKey(string failure, string expected) =>
        Assert.Equal(expected, OptionsKeyNames.Rewrite(failure, "IngressOptions", "Ingress"));
}
