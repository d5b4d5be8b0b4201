/// Every method of the protocol, by wire name. Adding a method = one type + one line here.
public struct MethodTable: Sendable {
    let methods: [String: AnyMethod]

    init(_ list: [AnyMethod]) {
        var m: [String: AnyMethod] = [:]
        for x in list {
            precondition(m[x.name] == nil, "duplicate method \(x.name)")
            m[x.name] = x
        }
        methods = m
    }

    public var names: [String] { methods.keys.sorted() }

    public static let standard = MethodTable([
        // protocol
        AnyMethod(InitializeMethod.self), AnyMethod(HealthMethod.self), AnyMethod(ShutdownMethod.self),
        AnyMethod(DiscoverMethod.self),
        // session and accounts
        AnyMethod(LoginMethod.self), AnyMethod(AuthenticateMethod.self), AnyMethod(MeMethod.self),
        AnyMethod(CreateUserMethod.self), AnyMethod(ListUsersMethod.self), AnyMethod(UpdateUserMethod.self),
        // keys
        AnyMethod(ApiKeyStatusMethod.self), AnyMethod(ApiKeyUpdateMethod.self), AnyMethod(ApiKeyDeleteMethod.self),
        AnyMethod(SystemKeysListMethod.self), AnyMethod(SystemKeysUpdateMethod.self), AnyMethod(SystemKeysDeleteMethod.self),
        // models
        AnyMethod(ListModelsMethod.self), AnyMethod(CreateModelMethod.self), AnyMethod(UpdateModelMethod.self),
        AnyMethod(DeleteModelMethod.self),
        // chat
        AnyMethod(ChatCompletionsMethod.self), AnyMethod(ChatCompletionsStreamMethod.self),
        // usage and conversations
        AnyMethod(MyUsageMethod.self), AnyMethod(AllUsersUsageMethod.self),
        AnyMethod(ListConversationsMethod.self), AnyMethod(GetConversationMethod.self),
        AnyMethod(DeleteConversationMethod.self),
    ])
}
