import { Field, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import {
  CurrentPrincipal,
  Public,
  RequireScopes,
  type Principal,
} from '@tokenfence/revocation-guard';

@ObjectType()
export class Viewer {
  @Field(() => String) sub: string;
  @Field(() => [String]) scopes: string[];
}

@Resolver(() => Viewer)
export class ShopResolver {
  @Query(() => Viewer) me(@CurrentPrincipal() p: Principal): Viewer {
    return { sub: p.sub, scopes: [...p.scopes] };
  }
  @Query(() => [String]) @RequireScopes('orders:read') orders(): string[] {
    return [];
  }
  @Query(() => Boolean) @RequireScopes('admin') admin(): boolean {
    return true;
  }
  @Query(() => [String]) @Public() catalogue(): string[] {
    return ['book'];
  }
  /** Guarded because the driver runs guards on field resolvers (fieldResolverEnhancers). */
  @ResolveField(() => String, { nullable: true }) @RequireScopes('admin') adminNote(): string {
    return 'for admins';
  }
}
