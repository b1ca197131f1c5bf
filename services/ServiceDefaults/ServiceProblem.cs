using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ModeRefresh.ServiceDefaults;

/// <summary>
/// The one error shape of both services: RFC 9457 problem details, <c>application/problem+json</c>, with
/// <c>status</c>, <c>title</c> (the status's standard wording unless one is given) and <c>detail</c>, the specific
/// reason (e.g. <c>invalid signature</c>). ASP.NET Core writes ProblemDetails with its own source-generated JSON
/// context (registered by AddProblemDetails in <see cref="ServiceDefaultsExtensions.AddServiceDefaults"/>): no
/// reflection, trim and Native AOT safe. A detail never carries a secret.
/// </summary>
public static class ServiceProblem
{
    public static ProblemHttpResult For(int status, string detail, string? title = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
