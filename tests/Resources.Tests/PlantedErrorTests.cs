using ModeRefresh.Resources.Tests.Infrastructure;
using ModeRefresh.Resources.Tests.Validation;

namespace ModeRefresh.Resources.Tests;

/// <summary>
/// Proof that the validation catches what Dapr would silently ignore or reject late: each test plants one
/// mistake and expects an error that names the file, the field and the problem.
/// </summary>
public sealed class PlantedErrorTests
{
    private const string SecretStore = """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: secretstore
        spec:
          type: secretstores.local.file
          version: v1
          metadata:
            - name: secretsFile
              value: ../../components/secrets.json
        """;

    [Fact]
    public void RedisPubSub_ReconnectWaitTypo_FailsNamingField()
    {
        // reconnectWaitSeconds is a RabbitMQ field; pubsub.redis accepts neither spelling, and the typo form
        // `reconnectWait` is what the issue plants. Checked against RabbitMQ too, where the real name exists.
        var redis = Component("pubsub.redis", """
                - name: redisHost
                  value: localhost:6379
                - name: reconnectWait
                  value: 3s
            """);
        var rabbit = Component("pubsub.rabbitmq", """
                - name: connectionString
                  value: amqp://localhost:5672
                - name: reconnectWait
                  value: 3s
            """);

        var redisError = Assert.Single(Validate(("planted/redis-pubsub.yaml", redis)));
        Assert.Equal("planted/redis-pubsub.yaml", redisError.File);
        Assert.Equal("spec.metadata[reconnectWait]", redisError.Field);
        Assert.Contains("unknown metadata field 'reconnectWait'", redisError.Problem, StringComparison.Ordinal);
        Assert.Equal(11, redisError.Line);

        var rabbitError = Assert.Single(Validate(("planted/rabbitmq-pubsub.yaml", rabbit)));
        Assert.Contains("did you mean 'reconnectWaitSeconds'?", rabbitError.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void KafkaPubSub_WrongAllowedValue_FailsNamingValueAndAllowed()
    {
        var kafka = Component("pubsub.kafka", """
                - name: brokers
                  value: localhost:9092
                - name: authType
                  value: none
                - name: initialOffset
                  value: earliest
            """);

        var error = Assert.Single(Validate(("planted/kafka.yaml", kafka)));
        Assert.Equal("spec.metadata[initialOffset]", error.Field);
        Assert.Contains("value 'earliest' is not an allowed value", error.Problem, StringComparison.Ordinal);
        Assert.Contains("newest, oldest", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RedisState_MissingRequiredField_FailsNamingField()
    {
        var state = Component("state.redis", """
                - name: redisPort
                  value: "6379"
            """);

        var error = Assert.Single(Validate(("planted/state.yaml", state)));
        Assert.Equal("planted/state.yaml", error.File);
        Assert.Equal("spec.metadata[redisHost]", error.Field);
        Assert.Contains("required field 'redisHost' is missing", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceBus_NoAuthenticationProfileSatisfied_FailsListingProfiles()
    {
        var serviceBus = Component("pubsub.azure.servicebus.topics", """
                - name: maxDeliveryCount
                  value: "10"
            """);

        var error = Assert.Single(Validate(("planted/servicebus.yaml", serviceBus)));
        Assert.Equal("spec.metadata", error.Field);
        Assert.Contains("no authentication profile", error.Problem, StringComparison.Ordinal);
        Assert.Contains("connectionString", error.Problem, StringComparison.Ordinal);
        Assert.Contains("namespaceName", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretKeyRef_WithoutAuthSecretStore_FailsNamingField()
    {
        var rabbit = Component("pubsub.rabbitmq", """
                - name: connectionString
                  secretKeyRef:
                    name: RABBITMQ_CONNECTION_STRING
                    key: RABBITMQ_CONNECTION_STRING
            """);

        var error = Assert.Single(Validate(("planted/rabbitmq.yaml", rabbit)));
        Assert.Equal("spec.metadata[connectionString].secretKeyRef", error.Field);
        Assert.Contains("auth.secretStore is missing", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretKeyRef_AuthSecretStoreNotDefined_FailsNamingStore()
    {
        var rabbit = Component("pubsub.rabbitmq", """
                - name: connectionString
                  secretKeyRef:
                    name: RABBITMQ_CONNECTION_STRING
                    key: RABBITMQ_CONNECTION_STRING
            """, auth: "vault");

        var error = Assert.Single(Validate(("planted/rabbitmq.yaml", rabbit)));
        Assert.Equal("auth.secretStore", error.Field);
        Assert.Contains("'vault' is not a secret store component", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretKeyRef_BuiltinKubernetesStoreSelfHosted_Fails()
    {
        var rabbit = Component("pubsub.rabbitmq", """
                - name: connectionString
                  secretKeyRef:
                    name: rabbitmq
                    key: connection-string
            """, auth: "kubernetes");

        Assert.Empty(Validate(ResourceScope.Kubernetes, ("planted/rabbitmq.yaml", rabbit)));
        var error = Assert.Single(Validate(("planted/rabbitmq.yaml", rabbit)));
        Assert.Contains("self-hosted Dapr has no built-in store", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKind_DaprApiGroup_FailsNamingKind()
    {
        const string text = """
            apiVersion: dapr.io/v1alpha1
            kind: Componnent
            metadata:
              name: pubsub
            spec: {}
            """;

        var error = Assert.Single(Validate(("planted/kind.yaml", text)));
        Assert.Equal(("planted/kind.yaml", "kind", 2), (error.File, error.Field, error.Line));
        Assert.Contains("unknown kind 'Componnent'", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKind_OtherApiGroup_FailsNamingKind()
    {
        const string text = """
            apiVersion: apps/v1
            kind: Deploymnet
            metadata:
              name: ingress
            """;

        var error = Assert.Single(Validate(("planted/deployment.yaml", text)));
        Assert.Contains("unknown kind 'Deploymnet' for apiVersion 'apps/v1'", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownComponentType_Typo_FailsNamingType()
    {
        var text = Component("pubsub.rediss", """
                - name: redisHost
                  value: localhost:6379
            """);

        var error = Assert.Single(Validate(("planted/type.yaml", text)));
        Assert.Equal("spec.type", error.Field);
        Assert.Contains("unknown component type 'pubsub.rediss'", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ResiliencyTarget_NonExistentComponent_FailsNamingTarget()
    {
        var error = Assert.Single(Validate(("planted/resiliency.yaml", Resiliency("pubsubb", "deliveryRetry"))));
        Assert.Equal("spec.targets.components.pubsubb", error.Field);
        Assert.Contains("names component 'pubsubb', which is not defined", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ResiliencyTarget_UndefinedPolicy_FailsNamingPolicy()
    {
        var error = Assert.Single(Validate(("planted/resiliency.yaml", Resiliency("secretstore", "deliveryRetyr"))));
        Assert.Equal("spec.targets.components.secretstore.inbound.retry", error.Field);
        Assert.Contains("'deliveryRetyr', which is not defined", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ResiliencyPolicy_UnknownFieldAgainstCrd_FailsNamingField()
    {
        var text = Resiliency("secretstore", "deliveryRetry").Replace("maxRetries: 40", "maxRetry: 40", StringComparison.Ordinal);

        var error = Assert.Single(Validate(("planted/resiliency.yaml", text)));
        Assert.Equal("spec.policies.retries.deliveryRetry.maxRetry", error.Field);
        Assert.Contains("unknown field", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ResiliencyPolicy_DurationWithoutUnit_FailsNamingField()
    {
        var text = Resiliency("secretstore", "deliveryRetry").Replace("duration: 60s", "duration: \"60\"", StringComparison.Ordinal);

        var error = Assert.Single(Validate(("planted/resiliency.yaml", text)));
        Assert.Equal("spec.policies.retries.deliveryRetry.duration", error.Field);
        Assert.Contains("not a Go duration", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_WrongTypeAgainstCrd_FailsNamingField()
    {
        const string text = """
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata:
              name: ingress-config
            spec:
              secrets:
                scopes:
                  - storeName: secretstore
                    defaultAccess: deny
                    allowedSecrets: DBT_WEBHOOK_KEY
            """;

        var error = Assert.Single(Validate(("planted/config.yaml", text)));
        Assert.Equal("spec.secrets.scopes[0].allowedSecrets", error.Field);
        Assert.Contains("must be of type array", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Component_ScopeNamesUnknownApp_FailsNamingScope()
    {
        var text = Component("state.redis", """
                - name: redisHost
                  value: localhost:6379
            """) + "scopes:\n  - refresher\n";

        var error = Assert.Single(Validate(("planted/state.yaml", text)));
        Assert.Equal("scopes", error.Field);
        Assert.Contains("'refresher'", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Vault_BothTokenFields_FailsAsRuntimeDoes()
    {
        var vault = Component("secretstores.hashicorp.vault", """
                - name: vaultToken
                  value: root
                - name: vaultTokenMountPath
                  value: /var/run/secrets/vault/token
            """, name: "vault");

        var error = Assert.Single(Validate(("planted/vault.yaml", vault)));
        Assert.Contains("exactly one of vaultToken, vaultTokenMountPath", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_DoesNotParse_FailsNamingFile()
    {
        var error = Assert.Single(Validate(("planted/broken.yaml", "apiVersion: dapr.io/v1alpha1\nkind: [Component\n")));
        Assert.Equal("planted/broken.yaml", error.File);
        Assert.Contains("does not parse", error.Problem, StringComparison.Ordinal);
    }

    private static List<ValidationError> Validate(params (string File, string Text)[] files) =>
        Validate(ResourceScope.SelfHosted, files);

    private static List<ValidationError> Validate(ResourceScope scope, params (string File, string Text)[] files)
    {
        var all = files.Select(f => new ResourceFile(f.File, f.Text)).Append(new ResourceFile("planted/secretstore.yaml", SecretStore));
        var result = RepoResources.Validator().Validate(all, scope);
        TestContext.Current.TestOutputHelper?.WriteLine(result.Describe());
        return result.Errors.ToList();
    }

    private static string Component(string type, string metadata, string? auth = null, string name = "planted") =>
        $"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: {type}
          version: v1
          metadata:
        {metadata}
        """ + (auth is null ? "\n" : $"\nauth:\n  secretStore: {auth}\n");

    private static string Resiliency(string target, string retry) => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Resiliency
        metadata:
          name: planted
        spec:
          policies:
            retries:
              deliveryRetry:
                policy: constant
                duration: 60s
                maxRetries: 40
          targets:
            components:
              {target}:
                inbound:
                  retry: {retry}
        """;
}
